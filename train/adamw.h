/* train/adamw.h — AdamW with decoupled weight decay, global-norm gradient clipping, and a linear
   warmup + cosine learning-rate schedule. The optimizer state (m, v, step) is plain data so that a
   checkpoint can save and restore it exactly; the schedule is a pure function of the step. */
#ifndef CONCORD_TRAIN_ADAMW_H
#define CONCORD_TRAIN_ADAMW_H

#include <stddef.h>
#include <stdint.h>

#include "train/params.h"

typedef struct {
    float lr;            // peak learning rate
    float lr_min_ratio;  // cosine floor as a fraction of lr (0 = decay to 0)
    int64_t warmup_steps;
    int64_t total_steps;  // cosine horizon; <= 0 means constant lr after warmup
    float beta1, beta2, eps;
    float weight_decay;  // decoupled, applied only to tensors with TensorSpec.decay = 1
    float grad_clip;     // max global L2 norm of the gradient; <= 0 disables clipping
} AdamWConfig;

typedef struct {
    AdamWConfig cfg;
    int64_t step;  // number of updates applied so far (bias correction uses step + 1)
    ParamSlab m;   // first moments, layout of the parameters
    ParamSlab v;   // second moments
} AdamW;

typedef struct {
    float lr;          // learning rate used
    float grad_norm;   // global L2 norm before clipping
    float clip_scale;  // factor applied to the gradient (1 when not clipped)
} AdamWStepInfo;

/* Allocates zeroed m and v for params' layout; step = 0. */
void adamw_init(AdamW *opt, const AdamWConfig *cfg, const GPTConfig *model_cfg);
void adamw_free(AdamW *opt);

/* Learning rate at a given step: linear warmup from lr/warmup to lr, then cosine to lr*min_ratio. */
float adamw_lr_at(const AdamWConfig *cfg, int64_t step);

/* Global L2 norm of a gradient slab (accumulated in double, fixed order). */
float adamw_grad_norm(const ParamSlab *grads);

/* One update: clip grads (in place) to grad_clip, then AdamW on every element; step += 1.
   Deterministic: same inputs give bit-identical outputs. */
AdamWStepInfo adamw_step(AdamW *opt, ParamSlab *params, ParamSlab *grads);

#endif
