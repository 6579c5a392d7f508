/* tests/test_loss.c — train/loss: closed-form gradients against central finite differences for
   every loss kind and the SCIR term, hand-computed values, limiting cases (cDPO/rDPO eps = 0,
   CREAM C = 1, INPO = IPO when prev = ref), batch averaging, NaN reporting and huge logits. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "train/loss.h"

// ---- deterministic test randomness (splitmix64) ----

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static double urand(double lo, double hi) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return lo + (hi - lo) * ((double)(z >> 11) * 0x1.0p-53);
}

static const LossKind all_kinds[] = {LOSS_SFT, LOSS_DPO,  LOSS_CDPO, LOSS_RDPO,
                                     LOSS_IPO, LOSS_INPO, LOSS_SPPO};
#define N_KINDS ((int)(sizeof all_kinds / sizeof all_kinds[0]))

/* A random pair whose implicit margin h is about h_target (policy, ref and prev log-probs in the
   range of short responses), soft label p, win rates and lengths. */
static PairInput random_pair(double h_target, double p) {
    PairInput in;
    memset(&in, 0, sizeof in);
    in.c_ref = urand(-120, -5);
    in.r_ref = urand(-120, -5);
    in.c = in.c_ref + urand(-3, 3);
    in.r = in.c - in.c_ref + in.r_ref - h_target;  // so that (c - c_ref) - (r - r_ref) = h_target
    in.c_prev = in.c_ref + urand(-2, 2);
    in.r_prev = in.r_ref + urand(-2, 2);
    in.p = p;
    in.p_w = urand(0, 1);
    in.p_l = urand(0, 1);
    in.len_c = 1 + (int)urand(0, 200);
    in.len_r = 1 + (int)urand(0, 200);
    return in;
}

static double pair_loss(const LossParams *prm, const PairInput *in) {
    PairOutput o;
    loss_pair(prm, in, &o);
    return o.loss;
}

/* Relative error of a gradient g against a finite difference fd, with a floor of 1e-4*|loss| on
   the denominator (round-off of the difference quotient is about 1e-12*|loss|). */
static double grad_rel_err(double g, double fd, double loss) {
    double den = fmax(fabs(fd), 1e-4 * fabs(loss));
    if (den == 0) return fabs(g - fd);
    return fabs(g - fd) / den;
}

/* Central differences of the loss w.r.t. c and r at in (step 2^-12, exact at these magnitudes). */
static void check_fd_pair(const LossParams *prm, const PairInput *in, const char *what) {
    const double d = 0x1.0p-12;
    PairOutput o;
    int ok = loss_pair(prm, in, &o);
    CHECK_MSG(ok, "%s: pair not valid (loss %g)", what, o.loss);
    PairInput a = *in, b = *in;
    a.c += d;
    b.c -= d;
    double fd_c = (pair_loss(prm, &a) - pair_loss(prm, &b)) / (2 * d);
    a = *in;
    b = *in;
    a.r += d;
    b.r -= d;
    double fd_r = (pair_loss(prm, &a) - pair_loss(prm, &b)) / (2 * d);
    double ec = grad_rel_err(o.dc, fd_c, o.loss), er = grad_rel_err(o.dr, fd_r, o.loss);
    CHECK_MSG(ec <= 1e-6, "%s %s: dc %.12g vs fd %.12g (rel %.3g, z %.4g)", what,
              loss_kind_name(prm->kind), o.dc, fd_c, ec, o.margin);
    CHECK_MSG(er <= 1e-6, "%s %s: dr %.12g vs fd %.12g (rel %.3g, z %.4g)", what,
              loss_kind_name(prm->kind), o.dr, fd_r, er, o.margin);
}

static void test_names_and_defaults(void) {
    for (int i = 0; i < N_KINDS; i++) {
        LossKind k = all_kinds[i];
        CHECK_EQ_I64(loss_kind_from_name(loss_kind_name(k)), k);
        LossParams p = loss_params_default(k);
        ErrMsg e;
        CHECK_EQ_I64(p.kind, k);
        CHECK_EQ_I64(loss_params_validate(&p, &e), 0);
    }
    CHECK_EQ_I64(loss_kind_from_name("dpo"), LOSS_DPO);
    CHECK_EQ_I64(loss_kind_from_name("sppo"), LOSS_SPPO);
    CHECK_EQ_I64(loss_kind_from_name("DPO"), -1);
    CHECK_EQ_I64(loss_kind_from_name("orpo"), -1);
    CHECK_EQ_I64(loss_kind_from_name(""), -1);
    CHECK_EQ_I64(loss_kind_from_name(NULL), -1);
    CHECK_TRUE(strcmp(loss_kind_name((LossKind)99), "unknown") == 0);

    LossParams p = loss_params_default(LOSS_INPO);
    CHECK_NEAR(p.beta, 0.1, 0);
    CHECK_NEAR(p.eps, 0.1, 0);
    CHECK_NEAR(p.inpo_eta, 0.005, 0);
    CHECK_NEAR(p.inpo_tau, 0.005 / 3, 1e-18);
    CHECK_NEAR(p.sppo_eta, 1000, 0);
    CHECK_NEAR(p.nll_weight, 0, 0);
    CHECK_NEAR(p.scir_weight, 0, 0);

    // each bad field is rejected with its dotted key in the message
    struct {
        const char *key;
        LossParams p;
    } bad[8];
    for (int i = 0; i < 8; i++) bad[i].p = loss_params_default(LOSS_DPO);
    bad[0].key = "loss.beta", bad[0].p.beta = 0;
    bad[1].key = "loss.beta", bad[1].p.beta = NAN;
    bad[2].key = "loss.eps", bad[2].p.eps = 0.5;
    bad[3].key = "loss.inpo_tau", bad[3].p.inpo_tau = 0.006;
    bad[4].key = "loss.sppo_eta", bad[4].p.sppo_eta = -1;
    bad[5].key = "loss.nll_weight", bad[5].p.nll_weight = -0.1;
    bad[6].key = "loss.scir_margin", bad[6].p.scir_margin = 0.5;
    bad[7].key = "loss.kind", bad[7].p.kind = (LossKind)LOSS_KIND_COUNT;
    for (int i = 0; i < 8; i++) {
        ErrMsg e;
        e.msg[0] = 0;
        CHECK_EQ_I64(loss_params_validate(&bad[i].p, &e), -1);
        CHECK_MSG(strstr(e.msg, bad[i].key) != NULL, "message '%s' lacks %s", e.msg, bad[i].key);
    }
}

/* Finite differences for every kind at random points, including large margins (|z| up to 40 for
   the DPO family, |h| up to 400 for the squared losses), with and without the NLL term. */
static void test_finite_differences(void) {
    const double h_targets[] = {0.0, 0.3, -1.7, 5.0, -12.0, 60.0, -80.0, 200.0, -400.0};
    for (int i = 0; i < N_KINDS; i++) {
        for (int nll = 0; nll < 2; nll++) {
            LossParams prm = loss_params_default(all_kinds[i]);
            prm.nll_weight = nll ? 0.3 : 0.0;
            prm.length_normalize = nll;
            for (size_t t = 0; t < sizeof h_targets / sizeof h_targets[0]; t++) {
                for (int rep = 0; rep < 4; rep++) {
                    double p = rep == 0 ? 1.0 : (rep == 1 ? 0.5 : urand(0, 1));
                    double h = h_targets[t] + urand(-0.5, 0.5);
                    PairInput in = random_pair(h, p);
                    check_fd_pair(&prm, &in, nll ? "fd(nll,norm)" : "fd");
                }
            }
        }
    }
    // cDPO/rDPO with other eps and beta, IPO with another tau, INPO with tau = 0 and tau = eta
    LossParams prm = loss_params_default(LOSS_RDPO);
    prm.eps = 0.3;
    prm.beta = 0.5;
    for (int rep = 0; rep < 10; rep++) {
        PairInput in = random_pair(urand(-70, 70), 1.0);
        check_fd_pair(&prm, &in, "fd rdpo eps .3");
        prm.kind = LOSS_CDPO;
        check_fd_pair(&prm, &in, "fd cdpo eps .3");
        prm.kind = LOSS_RDPO;
    }
    LossParams inpo = loss_params_default(LOSS_INPO);
    for (int rep = 0; rep < 10; rep++) {
        PairInput in = random_pair(urand(-150, 150), urand(0, 1));
        inpo.inpo_tau = rep % 2 ? 0.0 : inpo.inpo_eta;
        check_fd_pair(&inpo, &in, "fd inpo tau");
    }
}

static void test_hand_values(void) {
    // DPO at z = 0: loss log 2, dL/dc = -beta/2, dL/dr = +beta/2
    LossParams dpo = loss_params_default(LOSS_DPO);
    PairInput in = {.c = -20, .r = -30, .c_ref = -25, .r_ref = -35, .p = 1, .len_c = 4, .len_r = 6};
    PairOutput o;
    CHECK_TRUE(loss_pair(&dpo, &in, &o));
    CHECK_NEAR(o.margin, 0.0, 0);
    CHECK_NEAR(o.loss, log(2.0), 1e-15);
    CHECK_NEAR(o.dc, -0.05, 1e-15);
    CHECK_NEAR(o.dr, 0.05, 1e-15);
    CHECK_EQ_I64(o.correct, 0);

    // DPO at h = 10, beta 0.1: z = 1, loss log(1 + e^-1), dc = -0.1 sigmoid(-1); rewards
    PairInput d = {.c = -20, .r = -30, .c_ref = -25, .r_ref = -25, .p = 1, .len_c = 4, .len_r = 6};
    CHECK_TRUE(loss_pair(&dpo, &d, &o));
    CHECK_NEAR(o.loss, 0.31326168751822286, 1e-15);
    CHECK_NEAR(o.dc, -0.1 * 0.2689414213699951, 1e-15);
    CHECK_NEAR(o.dr, 0.1 * 0.2689414213699951, 1e-15);
    CHECK_NEAR(o.reward_c, 0.5, 1e-15);
    CHECK_NEAR(o.reward_r, -0.5, 1e-15);
    CHECK_NEAR(o.margin, 1.0, 1e-15);
    CHECK_EQ_I64(o.correct, 1);

    // cDPO eps 0.1 hard label at z = 1: 0.9 sp(-1) + 0.1 sp(1); dz = s(1) - 0.9
    LossParams cdpo = loss_params_default(LOSS_CDPO);
    CHECK_TRUE(loss_pair(&cdpo, &d, &o));
    CHECK_NEAR(o.loss, 0.9 * 0.31326168751822286 + 0.1 * 1.3132616875182228, 1e-14);
    CHECK_NEAR(o.dc, 0.1 * (0.7310585786300049 - 0.9), 1e-15);

    // rDPO eps 0.1 at z = 1: [0.9 sp(-1) - 0.1 sp(1)] / 0.8; dz = s(1) - 1.125
    LossParams rdpo = loss_params_default(LOSS_RDPO);
    CHECK_TRUE(loss_pair(&rdpo, &d, &o));
    CHECK_NEAR(o.loss, (0.9 * 0.31326168751822286 - 0.1 * 1.3132616875182228) / 0.8, 1e-14);
    CHECK_NEAR(o.dc, 0.1 * (0.7310585786300049 - 1.125), 1e-15);

    // IPO tau 0.1: h = 10, target 5 -> e = 5, loss 25, dc 10; tie p = .5 -> target 0, loss 100
    LossParams ipo = loss_params_default(LOSS_IPO);
    CHECK_TRUE(loss_pair(&ipo, &d, &o));
    CHECK_NEAR(o.loss, 25.0, 1e-12);
    CHECK_NEAR(o.dc, 10.0, 1e-12);
    CHECK_NEAR(o.dr, -10.0, 1e-12);
    d.p = 0.5;
    CHECK_TRUE(loss_pair(&ipo, &d, &o));
    CHECK_NEAR(o.loss, 100.0, 1e-12);
    CHECK_NEAR(o.dc, 20.0, 1e-12);
    d.p = 1.0;

    // INPO eta .005, tau eta/3: c-r = 10, c_ref-r_ref = 0, c_prev-r_prev = -60
    // -> h_t = 10 + (2/3)60 = 50, target 100 -> e = -50, loss 2500, dc -100
    LossParams inpo = loss_params_default(LOSS_INPO);
    PairInput q = d;
    q.c_prev = -21;
    q.r_prev = 39;  // c_prev - r_prev = -60
    CHECK_TRUE(loss_pair(&inpo, &q, &o));
    CHECK_NEAR(o.loss, 2500.0, 1e-9);
    CHECK_NEAR(o.dc, -100.0, 1e-11);
    CHECK_NEAR(o.dr, 100.0, 1e-11);

    // SPPO eta 1000: a = (c - c_prev) - 1000(.8 - .5) = .5 - 300,
    //                b = (r - r_prev) - 1000(.3 - .5) = -1 + 200
    LossParams sppo = loss_params_default(LOSS_SPPO);
    PairInput s = {.c = -10, .r = -12, .c_prev = -10.5, .r_prev = -11, .c_ref = -9, .r_ref = -13};
    s.p = 1, s.p_w = 0.8, s.p_l = 0.3, s.len_c = 3, s.len_r = 3;
    CHECK_TRUE(loss_pair(&sppo, &s, &o));
    CHECK_NEAR(o.loss, 0.5 * (299.5 * 299.5 + 199.0 * 199.0), 1e-9);
    CHECK_NEAR(o.loss, 64650.625, 1e-9);
    CHECK_NEAR(o.dc, -299.5, 1e-11);
    CHECK_NEAR(o.dr, 199.0, 1e-11);

    // SFT: -c and -c/len_c
    LossParams sft = loss_params_default(LOSS_SFT);
    PairInput f = {.c = -12, .r = -3, .p = 1, .len_c = 4, .len_r = 2};
    CHECK_TRUE(loss_pair(&sft, &f, &o));
    CHECK_NEAR(o.loss, 12.0, 0);
    CHECK_NEAR(o.dc, -1.0, 0);
    CHECK_NEAR(o.dr, 0.0, 0);
    sft.length_normalize = 1;
    CHECK_TRUE(loss_pair(&sft, &f, &o));
    CHECK_NEAR(o.loss, 3.0, 0);
    CHECK_NEAR(o.dc, -0.25, 0);

    // NLL term on DPO: adds -alpha c/len_c = 0.5*20/4 = 2.5 and -alpha/len_c = -0.125 to dc
    dpo.nll_weight = 0.5;
    CHECK_TRUE(loss_pair(&dpo, &d, &o));
    CHECK_NEAR(o.loss, 0.31326168751822286 + 2.5, 1e-14);
    CHECK_NEAR(o.dc, -0.1 * 0.2689414213699951 - 0.125, 1e-15);
    CHECK_NEAR(o.dr, 0.1 * 0.2689414213699951, 1e-15);
}

/* Limits that must hold exactly or to rounding: cDPO/rDPO eps = 0 and CREAM C = 1 are DPO; hard
   cDPO label = soft label 1-eps; soft-label and soft-IPO gradients vanish at their minimiser;
   INPO = IPO (tau_IPO = eta) when prev = ref; rDPO's gradient never vanishes. */
static void test_limits(void) {
    LossParams dpo = loss_params_default(LOSS_DPO);
    LossParams cdpo0 = loss_params_default(LOSS_CDPO), rdpo0 = loss_params_default(LOSS_RDPO);
    LossParams cdpo = loss_params_default(LOSS_CDPO);
    cdpo0.eps = 0;
    rdpo0.eps = 0;
    for (int rep = 0; rep < 50; rep++) {
        PairInput in = random_pair(urand(-300, 300), 1.0);
        PairOutput a, b, c;
        loss_pair(&dpo, &in, &a);
        loss_pair(&cdpo0, &in, &b);  // cDPO eps = 0, and CREAM with C = 1 (eps = 0)
        loss_pair(&rdpo0, &in, &c);
        CHECK_TRUE(a.loss == b.loss && a.dc == b.dc && a.dr == b.dr);
        CHECK_TRUE(a.loss == c.loss && a.dc == c.dc && a.dr == c.dr);
        // hard label smoothed to 1 - eps equals a given soft label 0.9 with eps = 0
        loss_pair(&cdpo, &in, &b);
        in.p = 0.9;
        loss_pair(&cdpo0, &in, &c);
        CHECK_NEAR(b.loss, c.loss, 1e-12 * fmax(1, fabs(c.loss)));
        CHECK_NEAR(b.dc, c.dc, 1e-15);
        // CREAM keeps its own C when eps > 0 as long as C is not a hard 0/1 label
        loss_pair(&cdpo, &in, &b);
        CHECK_TRUE(b.loss == c.loss && b.dc == c.dc);
    }
    // soft-label gradient is zero where sigmoid(z) = p
    const double ps[] = {0.05, 0.3, 0.5, 0.7, 0.999};
    for (int i = 0; i < 5; i++) {
        double p = ps[i];
        PairInput in = random_pair(log(p / (1 - p)) / cdpo0.beta, p);
        PairOutput o;
        CHECK_TRUE(loss_pair(&cdpo0, &in, &o));
        CHECK_MSG(fabs(o.dc) < 1e-12 && fabs(o.dr) < 1e-12, "soft p=%g: dc %g dr %g", p, o.dc,
                  o.dr);
        // moving z off the minimiser gives a gradient pointing back
        in.c += 1.0;
        loss_pair(&cdpo0, &in, &o);
        CHECK_TRUE(o.dc > 0);
        // soft IPO: target (2p-1)/(2 tau)
        LossParams ipo = loss_params_default(LOSS_IPO);
        PairInput t = random_pair((2 * p - 1) / (2 * ipo.ipo_tau), p);
        loss_pair(&ipo, &t, &o);
        CHECK_MSG(fabs(o.dc) < 1e-9 && fabs(o.loss) < 1e-18, "soft ipo p=%g: dc %g", p, o.dc);
    }
    // INPO = IPO with tau_IPO = eta when prev = ref (any tau), and for any prev when tau = eta
    LossParams inpo = loss_params_default(LOSS_INPO), ipo = loss_params_default(LOSS_IPO);
    ipo.ipo_tau = inpo.inpo_eta;
    for (int rep = 0; rep < 30; rep++) {
        PairInput in = random_pair(urand(-200, 200), rep % 3 ? urand(0, 1) : 1.0);
        in.c_prev = in.c_ref;
        in.r_prev = in.r_ref;
        PairOutput a, b;
        loss_pair(&inpo, &in, &a);
        loss_pair(&ipo, &in, &b);
        CHECK_TRUE(a.loss == b.loss && a.dc == b.dc && a.dr == b.dr);
        LossParams full = inpo;
        full.inpo_tau = full.inpo_eta;
        in.c_prev += urand(-5, 5);
        in.r_prev += urand(-5, 5);
        loss_pair(&full, &in, &a);
        CHECK_NEAR(a.loss, b.loss, 1e-9 * fmax(1, b.loss));
        CHECK_NEAR(a.dc, b.dc, 1e-9);
        // with tau < eta, moving prev changes the loss
        loss_pair(&inpo, &in, &a);
        CHECK_TRUE(a.loss != b.loss);
    }
    // rDPO's gradient keeps pushing z up even far past any soft-label minimiser
    LossParams rdpo = loss_params_default(LOSS_RDPO);
    PairInput far = random_pair(500.0, 1.0);  // z = 50
    PairOutput o;
    loss_pair(&rdpo, &far, &o);
    CHECK_NEAR(o.dc, rdpo.beta * (1.0 - 0.9 / 0.8), 1e-15);
}

static void test_batch(void) {
    enum { N = 7 };
    LossParams prm = loss_params_default(LOSS_CDPO);
    PairInput pairs[N];
    PairOutput out[N], single;
    double sum_loss = 0, sum_margin = 0, sum_rc = 0, sum_rr = 0;
    int n_correct = 0;
    for (int i = 0; i < N; i++) {
        pairs[i] = random_pair(urand(-30, 30), i % 2 ? urand(0, 1) : 1.0);
        loss_pair(&prm, &pairs[i], &single);
        sum_loss += single.loss;
        sum_margin += single.margin;
        sum_rc += single.reward_c;
        sum_rr += single.reward_r;
        n_correct += single.margin > 0;
    }
    LossMetrics m;
    CHECK_EQ_I64(loss_batch(&prm, pairs, out, N, &m), 0);
    for (int i = 0; i < N; i++) {
        loss_pair(&prm, &pairs[i], &single);
        CHECK_NEAR(out[i].dc, single.dc / N, 1e-17);
        CHECK_NEAR(out[i].dr, single.dr / N, 1e-17);
        CHECK_NEAR(out[i].loss, single.loss, 0);
        CHECK_EQ_I64(out[i].valid, 1);
    }
    CHECK_EQ_I64(m.n, N);
    CHECK_EQ_I64(m.n_nonfinite, 0);
    CHECK_NEAR(m.loss, sum_loss / N, 1e-14);
    CHECK_NEAR(m.margin, sum_margin / N, 1e-14);
    CHECK_NEAR(m.accuracy, (double)n_correct / N, 1e-15);
    CHECK_NEAR(m.reward_c, sum_rc / N, 1e-14);
    CHECK_NEAR(m.reward_r, sum_rr / N, 1e-14);
    CHECK_NEAR(m.logratio, (sum_rc + sum_rr) / prm.beta / (2 * N), 1e-12);
    // the batch gradients are the derivative of the batch mean loss
    const double d = 0x1.0p-12;
    PairInput save = pairs[3];
    LossMetrics mp, mm;
    PairOutput tmp[N];
    pairs[3].c = save.c + d;
    loss_batch(&prm, pairs, tmp, N, &mp);
    pairs[3].c = save.c - d;
    loss_batch(&prm, pairs, tmp, N, &mm);
    pairs[3] = save;
    double fd = (mp.loss - mm.loss) / (2 * d);
    CHECK_MSG(grad_rel_err(out[3].dc, fd, m.loss) <= 1e-6, "batch dc %.12g vs fd %.12g", out[3].dc,
              fd);
    // empty batch
    CHECK_EQ_I64(loss_batch(&prm, NULL, NULL, 0, &m), 0);
    CHECK_EQ_I64(m.n, 0);
    CHECK_NEAR(m.loss, 0, 0);
}

/* NaN/Inf inputs and out-of-domain labels: counted, gradients zeroed, metrics stay finite. */
static void test_nonfinite(void) {
    enum { N = 6 };
    LossParams prm = loss_params_default(LOSS_DPO);
    PairInput pairs[N];
    for (int i = 0; i < N; i++) pairs[i] = random_pair(urand(-20, 20), 1.0);
    pairs[1].c = NAN;
    pairs[4].r_ref = INFINITY;
    PairOutput out[N], single;
    LossMetrics m;
    CHECK_EQ_I64(loss_batch(&prm, pairs, out, N, &m), 2);
    CHECK_EQ_I64(m.n_nonfinite, 2);
    CHECK_EQ_I64(out[1].valid, 0);
    CHECK_EQ_I64(out[4].valid, 0);
    CHECK_TRUE(out[1].dc == 0 && out[1].dr == 0 && out[4].dc == 0 && out[4].dr == 0);
    double sum = 0, sum_margin = 0;
    for (int i = 0; i < N; i++) {
        if (i == 1 || i == 4) continue;
        loss_pair(&prm, &pairs[i], &single);
        sum += single.loss;
        sum_margin += single.margin;
        CHECK_NEAR(out[i].dc, single.dc / N, 1e-17);
    }
    CHECK_TRUE(isfinite(m.loss) && isfinite(m.margin) && isfinite(m.accuracy) &&
               isfinite(m.reward_c) && isfinite(m.reward_r) && isfinite(m.logratio));
    CHECK_NEAR(m.loss, sum / N, 1e-14);
    CHECK_NEAR(m.margin, sum_margin / (N - 2), 1e-14);
    // all pairs bad: metrics are 0, not NaN
    for (int i = 0; i < N; i++) pairs[i].c = NAN;
    CHECK_EQ_I64(loss_batch(&prm, pairs, out, N, &m), N);
    CHECK_TRUE(m.loss == 0 && m.margin == 0 && m.accuracy == 0);

    // out-of-domain labels are reported per kind
    PairOutput o;
    PairInput in = random_pair(1.0, 1.5);
    LossParams k = loss_params_default(LOSS_CDPO);
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    in.p = NAN;
    k.kind = LOSS_IPO;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    k.kind = LOSS_DPO;  // DPO ignores p
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 1);
    in.p = 1;
    in.p_w = NAN;
    k.kind = LOSS_SPPO;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    in.p_w = 0.5;
    in.p_l = -0.1;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    in.p_l = 0.5;
    in.len_c = 0;
    k = loss_params_default(LOSS_SFT);
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 1);  // -c needs no length
    k.length_normalize = 1;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    k = loss_params_default(LOSS_DPO);
    k.nll_weight = 0.1;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
    // an infinite policy log-prob (a masked-out response) is reported too
    in.len_c = 3;
    in.c = -INFINITY;
    k.nll_weight = 0;
    CHECK_EQ_I64(loss_pair(&k, &in, &o), 0);
}

/* |z| = 1e4 and far beyond: finite loss and gradients with the right asymptotic values. */
static void test_large_logits(void) {
    const double zs[] = {1e4, -1e4, 1e8, -1e8, 1e300, -1e300};
    for (int i = 0; i < 6; i++) {
        double z = zs[i];
        PairInput in = {.p = 1, .p_w = 1, .p_l = 0, .len_c = 10, .len_r = 10};
        in.c = z / 0.1 / 2;  // h = z/beta split over c and r so nothing overflows
        in.r = -z / 0.1 / 2;
        for (int k = LOSS_DPO; k <= LOSS_RDPO; k++) {
            for (int soft = 0; soft < 2; soft++) {
                LossParams prm = loss_params_default((LossKind)k);
                in.p = soft ? 0.3 : 1.0;
                PairOutput o;
                int ok = loss_pair(&prm, &in, &o);
                CHECK_MSG(ok && isfinite(o.loss) && isfinite(o.dc) && isfinite(o.dr),
                          "%s z=%g: loss %g dc %g", loss_kind_name(prm.kind), z, o.loss, o.dc);
                double q = k == LOSS_CDPO ? (soft ? 0.3 : 0.9) : 1.0;
                double want_loss, want_dz;  // asymptotes: sp(x) = max(x,0), s(z) = [z > 0]
                if (k == LOSS_RDPO) {
                    want_loss = (0.9 * fmax(-z, 0) - 0.1 * fmax(z, 0)) / 0.8;
                    want_dz = (-0.9 * (z < 0) - 0.1 * (z > 0)) / 0.8;
                } else {
                    want_loss = q * fmax(-z, 0) + (1 - q) * fmax(z, 0);
                    want_dz = -q * (z < 0) + (1 - q) * (z > 0);
                }
                CHECK_NEAR(o.loss, want_loss, 1e-12 * fabs(want_loss) + 1e-300);
                CHECK_NEAR(o.dc, prm.beta * want_dz, 1e-15);
                CHECK_NEAR(o.dr, -prm.beta * want_dz, 1e-15);
            }
        }
        // the squared losses stay finite at |z| = 1e4 (h = 1e5) and 1e8
        if (fabs(z) <= 1e8) {
            for (int k = LOSS_IPO; k <= LOSS_SPPO; k++) {
                LossParams prm = loss_params_default((LossKind)k);
                PairOutput o;
                CHECK_EQ_I64(loss_pair(&prm, &in, &o), 1);
            }
        }
    }
    // the scalar helpers
    CHECK_NEAR(loss_log_sigmoid(0), -log(2.0), 1e-16);
    CHECK_NEAR(loss_log_sigmoid(-1e4), -1e4, 0);
    CHECK_NEAR(loss_log_sigmoid(40), -exp(-40.0), 1e-16 * exp(-40.0));
    CHECK_NEAR(loss_softplus(-40), exp(-40.0), 1e-16 * exp(-40.0));
    CHECK_NEAR(loss_softplus(1e300), 1e300, 0);
    CHECK_NEAR(loss_sigmoid(-745), exp(-745.0), 0);
    CHECK_TRUE(loss_sigmoid(-1e300) == 0 && loss_sigmoid(1e300) == 1);
    // DPO at z = 1e4: loss underflows to 0 from above, never negative
    LossParams dpo = loss_params_default(LOSS_DPO);
    PairInput in = {.c = 5e4, .r = -5e4, .p = 1, .len_c = 1, .len_r = 1};
    PairOutput o;
    loss_pair(&dpo, &in, &o);
    CHECK_TRUE(o.loss >= 0 && o.loss < 1e-300);
}

// ---- SCIR ----

static double bern_kl(double p, double q) {
    return p * log(p / q) + (1 - p) * log((1 - p) / (1 - q));
}
static double bern_h(double p) { return -p * log(p) - (1 - p) * log(1 - p); }

static void test_scir(void) {
    const double lambdas[] = {0.0, 0.1, 1.0};
    // against the probability-space definition where that is accurate (|z|, |u| <= 8)
    for (int rep = 0; rep < 60; rep++) {
        double z = urand(-8, 8), u = urand(-8, 8), lh = lambdas[rep % 3];
        double pi = 1 / (1 + exp(-z)), pg = 1 / (1 + exp(-u));
        double want = bern_kl(pg, pi) + bern_kl(pi, pg) + lh * (bern_h(pg) + bern_h(pi));
        double got = loss_scir_consistency(z, u, lh, NULL, NULL);
        CHECK_NEAR(got, want, 1e-12 * fmax(1, fabs(want)));
    }
    // central differences in z and u, including saturated logits up to 60 in magnitude
    const double d = 0x1.0p-14;
    for (int rep = 0; rep < 300; rep++) {
        double range = rep < 100 ? 5 : (rep < 200 ? 25 : 60);
        double z = urand(-range, range), u = urand(-range, range), lh = lambdas[rep % 3];
        if (rep % 7 == 0) u = z + urand(-1, 1);  // near agreement
        double dz, du;
        double l = loss_scir_consistency(z, u, lh, &dz, &du);
        double fz = (loss_scir_consistency(z + d, u, lh, NULL, NULL) -
                     loss_scir_consistency(z - d, u, lh, NULL, NULL)) /
                    (2 * d);
        double fu = (loss_scir_consistency(z, u + d, lh, NULL, NULL) -
                     loss_scir_consistency(z, u - d, lh, NULL, NULL)) /
                    (2 * d);
        double ez = grad_rel_err(dz, fz, l), eu = grad_rel_err(du, fu, l);
        CHECK_MSG(ez <= 1e-6, "scir z=%g u=%g lh=%g: dz %.12g vs fd %.12g (rel %.3g)", z, u, lh, dz,
                  fz, ez);
        CHECK_MSG(eu <= 1e-6, "scir z=%g u=%g lh=%g: du %.12g vs fd %.12g (rel %.3g)", z, u, lh, du,
                  fu, eu);
    }
    // hand values: agreement at 0 -> KL 0, entropy log 2 each, gradients 0
    double dz, du;
    CHECK_NEAR(loss_scir_consistency(0, 0, 0.1, &dz, &du), 0.2 * log(2.0), 1e-15);
    CHECK_NEAR(dz, 0, 0);
    CHECK_NEAR(du, 0, 0);
    // z = 2, u = -1, lambda 0: symmetric KL = (s(-1) - s(2)) * (-3)
    CHECK_NEAR(loss_scir_consistency(2, -1, 0, &dz, &du),
               (0.2689414213699951 - 0.8807970779778823) * -3.0, 1e-14);
    // the KL pulls the logits together: dz > 0 pushes z down, du < 0 pushes u up
    CHECK_TRUE(dz > 0 && du < 0);
    // saturated agreement: tiny but positive loss and tiny gradients, relative precision kept
    double l = loss_scir_consistency(40, 50, 0, &dz, &du);
    double want = (exp(-40.0) - exp(-50.0)) * 10.0;  // (s(50) - s(40))(50 - 40), s(-x) ~ e^-x
    CHECK_NEAR(l, want, 1e-9 * want);
    CHECK_TRUE(dz < 0 && du > 0);
    // huge logits stay finite
    const double big[][2] = {{1e4, -1e4}, {-1e4, -1e4}, {1e4, 3e4}, {1e300, -1e300}, {-1e300, 5}};
    for (int i = 0; i < 5; i++) {
        double lz = loss_scir_consistency(big[i][0], big[i][1], 0.1, &dz, &du);
        CHECK_MSG(isfinite(lz) && isfinite(dz) && isfinite(du), "scir z=%g u=%g: %g %g %g",
                  big[i][0], big[i][1], lz, dz, du);
        CHECK_TRUE(lz >= 0);
    }
    CHECK_NEAR(loss_scir_consistency(1e4, -1e4, 0.1, &dz, &du), 2e4, 1e-9);
    CHECK_NEAR(dz, 1.0, 1e-15);
    CHECK_NEAR(du, -1.0, 1e-15);

    // consistent set
    CHECK_EQ_I64(loss_scir_consistent(0.8, 0.6, 0.0), 1);
    CHECK_EQ_I64(loss_scir_consistent(0.2, 0.4, 0.0), -1);
    CHECK_EQ_I64(loss_scir_consistent(0.8, 0.4, 0.0), 0);
    CHECK_EQ_I64(loss_scir_consistent(0.5, 0.9, 0.0), 0);
    CHECK_EQ_I64(loss_scir_consistent(0.8, 0.6, 0.15), 0);
    CHECK_EQ_I64(loss_scir_consistent(0.8, 0.7, 0.15), 1);
    CHECK_EQ_I64(loss_scir_consistent(0.1, 0.3, 0.2), -1);
    CHECK_EQ_I64(loss_scir_consistent(NAN, 0.9, 0.0), 0);
}

int main(void) {
    test_names_and_defaults();
    test_finite_differences();
    test_hand_values();
    test_limits();
    test_batch();
    test_nonfinite();
    test_large_logits();
    test_scir();
    return check_report();
}
