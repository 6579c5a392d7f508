/* train/loss.h — pairwise preference losses on summed response log-probs and their closed-form
   gradients (docs/algorithms.md: "Pairwise losses", "Gradients with respect to c and r").
   Inputs per pair are the summed response log-probs c = l_theta(y_w), r = l_theta(y_l) under the
   policy, and the same under the frozen reference (c_ref, r_ref) and previous-round policy (c_prev,
   r_prev); outputs are the loss and dL/dc, dL/dr, which the caller back-propagates into the model.
   Invariants:
   - Everything is double precision and computed in logit space with a stable softplus, so loss and
     gradients are finite for any finite input (|z| = 1e4 and beyond).
   - h = (c - c_ref) - (r - r_ref), z = beta * h; implicit rewards reward_x = beta * (x - x_ref).
   - loss_pair gives per-pair gradients; loss_batch divides them by n (the batch loss is the mean).
   - A pair whose inputs are out of their domain or whose loss/gradient is NaN/Inf is reported
     (valid = 0, counted in LossMetrics.n_nonfinite) with zero gradients; the caller decides.
   The SCIR consistency term (loss_scir_*) is an [R] reconstruction (docs/algorithms.md, SCIR): the
   paper's text was not available, the formula is a hypothesis to ablate, not a verified method. */
#ifndef CONCORD_TRAIN_LOSS_H
#define CONCORD_TRAIN_LOSS_H

#include "util/err.h"

typedef enum {
    LOSS_SFT = 0,  // -c (or -c/len_c): NLL of the chosen response
    LOSS_DPO,      // softplus(-z)
    LOSS_CDPO,     // soft-label BCE: -p' log s(z) - (1-p') log s(-z); p' below
    LOSS_RDPO,     // robust DPO with flip rate eps (unbiased, gradient never vanishes)
    LOSS_IPO,      // (h - (2p-1)/(2 tau))^2, h NOT scaled by beta
    LOSS_INPO,     // (h_t - (2p-1)/(2 eta))^2, h_t anchored on reference and previous policy
    LOSS_SPPO,     // 1/2[(c-c_prev-eta(P_w-1/2))^2 + (r-r_prev-eta(P_l-1/2))^2]
    LOSS_KIND_COUNT
} LossKind;

typedef struct {
    LossKind kind;
    double beta;           // DPO temperature (also scales implicit rewards reported for every kind)
    double eps;            // cDPO label smoothing / rDPO flip rate, 0 <= eps < 0.5
    double ipo_tau;        // IPO regulariser tau; target 1/(2 tau) for a hard label
    double inpo_eta;       // INPO proximal weight eta (inverse OMD step); target 1/(2 eta)
    double inpo_tau;       // INPO reference KL weight tau, 0 <= tau <= eta; anchors weigh tau/eta
    double sppo_eta;       // SPPO step eta (code beta = 1/eta)
    double nll_weight;     // alpha >= 0: adds -alpha * c / len_c per pair (every kind but SFT)
    int length_normalize;  // LOSS_SFT only: 1 = -c/len_c, 0 = -c
    double scir_weight;    // SCIR lambda_con >= 0 (weight of L_con in the step loss) [R]
    double scir_entropy;   // SCIR lambda_H >= 0 (entropy term inside L_con) [R]
    double scir_margin;    // SCIR consistent-set margin m, 0 <= m < 0.5 [R]
} LossParams;

/* One preference pair (y_w, y_l) for one prompt; log-probs are sums over response tokens. */
typedef struct {
    double c, r;            // policy log-probs of chosen / rejected (the differentiated inputs)
    double c_ref, r_ref;    // frozen reference policy
    double c_prev, r_prev;  // frozen previous-round policy pi_t (INPO, SPPO)
    double p;               // preference strength for y_w: 1 hard label, 0.5 tie, CREAM C, ...
    double p_w, p_l;        // SPPO win-rate estimates P_hat(y_w > pi_t), P_hat(y_l > pi_t) in [0,1]
    int len_c, len_r;       // response lengths in tokens (incl. EOS); >= 1 where used
} PairInput;

typedef struct {
    double loss;      // this pair's loss
    double dc, dr;    // dL/dc, dL/dr (per pair from loss_pair; divided by n in loss_batch)
    double reward_c;  // beta * (c - c_ref)
    double reward_r;  // beta * (r - r_ref)
    double margin;    // reward_c - reward_r (= z)
    int correct;      // margin > 0
    int valid;        // 1 when inputs are in domain and loss, gradients and margin are finite
} PairOutput;

/* Batch metrics. logratio estimates KL(pi_theta || pi_ref) only when the responses were sampled
   from pi_theta; with responses from pi_t it is a drift indicator. */
typedef struct {
    int n;            // pairs in the batch
    int n_nonfinite;  // pairs with valid = 0 (their gradients were set to 0)
    double loss;      // (1/n) * sum of the valid pairs' losses: the objective of the gradients
    double margin;    // mean margin over valid pairs (0 when none)
    double accuracy;  // fraction of valid pairs with margin > 0
    double reward_c;  // mean chosen implicit reward over valid pairs
    double reward_r;  // mean rejected implicit reward over valid pairs
    double logratio;  // mean (l_theta - l_ref) over both responses of valid pairs (see above)
} LossMetrics;

/* Name <-> kind: "sft" "dpo" "cdpo" "rdpo" "ipo" "inpo" "sppo". from_name returns -1 for an
   unknown or NULL name; kind_name returns "unknown" for a value outside the enum. */
int loss_kind_from_name(const char *name);
const char *loss_kind_name(LossKind kind);

/* Defaults of a kind (docs/algorithms.md): beta 0.1, eps 0.1, ipo_tau 0.1, INPO eta 0.005
   and tau eta/3, SPPO eta 1000, no NLL term, no length normalisation, SCIR weight 0 (off),
   lambda_H 0.1 and margin 0 (those three [R], no published values). */
LossParams loss_params_default(LossKind kind);

/* Checks every field's range; returns 0, or -1 with one sentence in e naming the dotted key
   (loss.beta, loss.eps, ...), what was expected and what was found. */
int loss_params_validate(const LossParams *params, ErrMsg *e) WARN_UNUSED_RESULT;

/* One pair's loss and per-pair gradients. cDPO uses p' = 1-eps for a hard label (p = 1), eps for
   p = 0, and the pair's own p otherwise (CREAM: set eps = 0 so that C = 1 means DPO). DPO, rDPO,
   SFT and SPPO ignore p; IPO and INPO use the soft target (2p-1). Returns 1 when the result is
   valid (out->valid), else 0 with out filled as computed (NaN for out-of-domain inputs). Dies on a
   kind outside the enum (validate params first). */
int loss_pair(const LossParams *params, const PairInput *in, PairOutput *out);

/* Batch of n pairs: fills out[i] with gradients divided by n, zeroes the gradients of invalid
   pairs, and fills m (may be NULL). Returns the number of invalid pairs. n >= 0. */
int loss_batch(const LossParams *params, const PairInput *pairs, PairOutput *out, int n,
               LossMetrics *m);

/* ---- numerics shared with other modules ---- */

/* log(1 + e^x) without overflow or loss of precision: max(x,0) + log1p(exp(-|x|)). */
double loss_softplus(double x);

/* 1 / (1 + e^-x), exact to rounding for any x (no overflow). */
double loss_sigmoid(double x);

/* log sigmoid(x) = -softplus(-x). */
double loss_log_sigmoid(double x);

/* ---- SCIR consistency term [R] (docs/algorithms.md, SCIR) ---- */

/* L_con = KL_B(P_G||P_I) + KL_B(P_I||P_G) + lambda_h * (H_B(P_G) + H_B(P_I)) with P_I = sigmoid(z)
   (implicit-RM logit z = beta*h) and P_G = sigmoid(u) (judge logit). Computed in logit space: the
   symmetric KL is (P_G - P_I)(u - z). Writes dL/dz and dL/du (either pointer may be NULL);
   dz chains to c, r by dz/dc = beta, dz/dr = -beta. */
double loss_scir_consistency(double z, double u, double lambda_h, double *dz, double *du);

/* Consistent-set test on probabilities: +1 when both favour y1 (P > 1/2), -1 when both favour y2,
   0 when they disagree, either is exactly 1/2, or either has |P - 1/2| < margin. */
int loss_scir_consistent(double p_g, double p_i, double margin);

#endif
