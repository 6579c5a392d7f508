/* tests/test_enums.c — the closed-set enums agree with the names they stand for: TensorId with the
   parameter table (train/params.h), Phase with the checkpoint phase names (ranks/phase.h). */
#include <string.h>

#include "check.h"
#include "ranks/phase.h"
#include "train/params.h"

static void test_tensor_ids(void) {
    static const char *const names[TENSOR_COUNT] = {// [TENSOR_COUNT], the table's order
                                                    [TENSOR_WTE] = "wte",
                                                    [TENSOR_WPE] = "wpe",
                                                    [TENSOR_LN1_W] = "ln1_w",
                                                    [TENSOR_LN1_B] = "ln1_b",
                                                    [TENSOR_QKV_W] = "qkv_w",
                                                    [TENSOR_QKV_B] = "qkv_b",
                                                    [TENSOR_ATTN_PROJ_W] = "attn_proj_w",
                                                    [TENSOR_ATTN_PROJ_B] = "attn_proj_b",
                                                    [TENSOR_LN2_W] = "ln2_w",
                                                    [TENSOR_LN2_B] = "ln2_b",
                                                    [TENSOR_FC_W] = "fc_w",
                                                    [TENSOR_FC_B] = "fc_b",
                                                    [TENSOR_FC_PROJ_W] = "fc_proj_w",
                                                    [TENSOR_FC_PROJ_B] = "fc_proj_b",
                                                    [TENSOR_LNF_W] = "lnf_w",
                                                    [TENSOR_LNF_B] = "lnf_b"};
    GPTConfig cfg = {.V = 10, .Vp = 16, .T = 8, .C = 4, .L = 2, .NH = 2};
    TensorSpec table[MAX_TENSORS];
    int ntensors;
    gpt_param_table(&cfg, table, &ntensors);
    CHECK_TRUE(ntensors == TENSOR_COUNT);
    for (int i = 0; i < TENSOR_COUNT; i++)
        CHECK_MSG(strcmp(table[i].name, names[i]) == 0, "tensor %d is \"%s\", TensorId says \"%s\"",
                  i, table[i].name, names[i]);
    ParamSlab s;
    param_slab_init(&s, &cfg, "test");
    CHECK_TRUE(param_slab_find(&s, "lnf_w") == TENSOR_LNF_W);
    CHECK_TRUE(param_slab_find(&s, "wpe") == TENSOR_WPE);
    CHECK_TRUE(s.t.lnf_b == s.data + s.table[TENSOR_LNF_B].offset);
    CHECK_TRUE(s.t.wte == s.data + s.table[TENSOR_WTE].offset);
    param_slab_free(&s);
}

static void test_phases(void) {
    CHECK_TRUE(strcmp(phase_name(PHASE_SFT), "sft") == 0);
    CHECK_TRUE(strcmp(phase_name(PHASE_TRAIN), "train") == 0);
    CHECK_TRUE(strcmp(phase_name(PHASE_DONE), "done") == 0);
    for (int i = 0; i < PHASE_COUNT; i++) {
        Phase p = PHASE_COUNT;
        CHECK_MSG(phase_from_name(phase_name((Phase)i), &p) == 0 && p == (Phase)i,
                  "phase %d does not round-trip through its name", i);
    }
    Phase p = PHASE_DONE;
    // names a checkpoint may hold that no run resumes from
    CHECK_TRUE(phase_from_name("generate", &p) == -1 && p == PHASE_DONE);
    CHECK_TRUE(phase_from_name("Sft", &p) == -1 && phase_from_name("", &p) == -1);
}

int main(void) {
    test_tensor_ids();
    test_phases();
    return check_report();
}
