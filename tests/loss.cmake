# train/loss: pairwise preference losses, gradients, SCIR consistency term.
concord_test(NAME test_loss SOURCES test_loss.c LIBS concord_train LABELS unit TIMEOUT 60)
