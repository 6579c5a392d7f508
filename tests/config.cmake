# io/config: strict JSON configuration (parse, defaults, --set, errors, round trip).
concord_test(NAME test_config SOURCES test_config.c LIBS concord_io LABELS io)
