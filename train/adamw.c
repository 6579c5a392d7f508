/* train/adamw.c — AdamW (PyTorch semantics), global-norm clipping and the warmup + cosine schedule;
   see adamw.h.
   Per element, with t = step + 1 and g the (clipped) gradient:
     m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g
     mhat = m / (1 - b1^t);  vhat = v / (1 - b2^t)
     p -= lr * (mhat / (sqrt(vhat) + eps) + wd*p)     wd = weight_decay if the tensor decays, else 0
   which is torch.optim.AdamW's update (decoupled decay on the old p) up to rounding.
   Clipping: when the global norm exceeds grad_clip, the gradient is scaled in place by
   grad_clip / norm (torch's clip_grad_norm_ adds 1e-6 to the norm; we do not). A non-finite norm
   is reported in AdamWStepInfo.grad_norm and the caller decides (the update then produces NaN).
   The element loop has no branches and no calls, so GCC vectorises it at -O3 — provided math errno
   is off (-fno-math-errno): otherwise sqrtf keeps an errno fallback call and the loop stays scalar.
   Results do not depend on vectorisation: the build uses ISO C (-std=c11, so no FMA contraction)
   and every element is computed by the same operations in the same order. */
#include "train/adamw.h"

#include <math.h>
#include <string.h>

#include "util/err.h"

#define ADAMW_NORM_LANES 8  // partial sums of the gradient norm (fixed, so the order is fixed)

void adamw_init(AdamW *opt, const AdamWConfig *cfg, const GPTConfig *model_cfg) {
    memset(opt, 0, sizeof *opt);
    opt->cfg = *cfg;
    opt->step = 0;
    param_slab_init(&opt->m, model_cfg, "adamw_m");
    param_slab_init(&opt->v, model_cfg, "adamw_v");
}

void adamw_free(AdamW *opt) {
    param_slab_free(&opt->m);
    param_slab_free(&opt->v);
    opt->step = 0;
}

float adamw_lr_at(const AdamWConfig *cfg, int64_t step) {
    double lr = cfg->lr;
    double lr_min = lr * cfg->lr_min_ratio;
    if (step < 0) step = 0;
    if (step < cfg->warmup_steps)
        return (float)(lr * (double)(step + 1) / (double)cfg->warmup_steps);
    if (cfg->total_steps <= 0) return (float)lr;
    // Cosine over [warmup, total_steps); the floor from the horizon on (even one inside warmup).
    if (step >= cfg->total_steps) return (float)lr_min;
    int64_t warmup = cfg->warmup_steps > 0 ? cfg->warmup_steps : 0;
    double progress = (double)(step - warmup) / (double)(cfg->total_steps - warmup);
    double coeff = 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
    return (float)(lr_min + coeff * (lr - lr_min));
}

float adamw_grad_norm(const ParamSlab *grads) {
    // Lane j sums the squares of elements i with i % 8 == j; lanes are added in order at the end.
    // The order is fixed by the code, not by the compiler, so the loop may be vectorised.
    const float *g = grads->data;
    size_t n = grads->n, body = n - n % ADAMW_NORM_LANES;
    double lane[ADAMW_NORM_LANES] = {0};
    for (size_t i = 0; i < body; i += ADAMW_NORM_LANES)
        for (int j = 0; j < ADAMW_NORM_LANES; j++) lane[j] += (double)g[i + j] * (double)g[i + j];
    for (size_t i = body; i < n; i++) lane[i - body] += (double)g[i] * (double)g[i];
    double sum = 0.0;
    for (int j = 0; j < ADAMW_NORM_LANES; j++) sum += lane[j];
    return (float)sqrt(sum);
}

// Constants of one update, computed once per step.
typedef struct {
    float lr, b1, b2, one_minus_b1, one_minus_b2, bc1, bc2, eps;
} UpdateCoef;

// AdamW on n elements. The kernel of this module; see the formula at the top of the file.
static void adamw_update(float *restrict p, float *restrict m, float *restrict v,
                         const float *restrict g, size_t n, const UpdateCoef *c, float wd) {
    const float lr = c->lr, b1 = c->b1, b2 = c->b2, omb1 = c->one_minus_b1;
    const float omb2 = c->one_minus_b2, bc1 = c->bc1, bc2 = c->bc2, eps = c->eps;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + omb1 * gi;
        float vi = b2 * v[i] + omb2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / bc1;
        float vhat = vi / bc2;
        p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
    }
}

static void scale_in_place(float *restrict g, size_t n, float s) {
    for (size_t i = 0; i < n; i++) g[i] *= s;
}

static void check_layout(const AdamW *opt, const ParamSlab *params, const ParamSlab *grads) {
    CHECKF(params->data && grads->data && opt->m.data && opt->v.data,
           "adamw_step: a slab is not allocated");
    CHECKF(params->n == grads->n && params->n == opt->m.n && params->n == opt->v.n &&
               memcmp(&params->cfg, &grads->cfg, sizeof params->cfg) == 0 &&
               memcmp(&params->cfg, &opt->m.cfg, sizeof params->cfg) == 0,
           "adamw_step: parameter, gradient and moment slabs have different layouts");
}

AdamWStepInfo adamw_step(AdamW *opt, ParamSlab *params, ParamSlab *grads) {
    check_layout(opt, params, grads);
    const AdamWConfig *cfg = &opt->cfg;
    AdamWStepInfo info;
    info.lr = adamw_lr_at(cfg, opt->step);
    info.grad_norm = adamw_grad_norm(grads);
    info.clip_scale = 1.0f;
    if (cfg->grad_clip > 0.0f && info.grad_norm > cfg->grad_clip) {
        info.clip_scale = (float)((double)cfg->grad_clip / (double)info.grad_norm);
        scale_in_place(grads->data, grads->n, info.clip_scale);
    }

    double t = (double)(opt->step + 1);
    UpdateCoef c = {
        .lr = info.lr,
        .b1 = cfg->beta1,
        .b2 = cfg->beta2,
        .one_minus_b1 = 1.0f - cfg->beta1,
        .one_minus_b2 = 1.0f - cfg->beta2,
        .bc1 = (float)(1.0 - pow((double)cfg->beta1, t)),
        .bc2 = (float)(1.0 - pow((double)cfg->beta2, t)),
        .eps = cfg->eps,
    };
    size_t covered = 0;
    for (int k = 0; k < params->ntensors; k++) {
        const TensorSpec *ts = &params->table[k];
        CHECKF(ts->offset == covered, "adamw_step: tensor table does not tile the slab");
        float wd = ts->decay ? cfg->weight_decay : 0.0f;
        adamw_update(params->data + ts->offset, opt->m.data + ts->offset, opt->v.data + ts->offset,
                     grads->data + ts->offset, ts->count, &c, wd);
        covered += ts->count;
    }
    CHECKF(covered == params->n, "adamw_step: tensor table does not tile the slab");
    opt->step++;
    return info;
}
