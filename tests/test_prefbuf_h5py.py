"""Reads a round file written by `test_prefbuf write DIR ROUND N 3` with h5py and checks the
layout (names, shapes, types, the pref_label enum, attributes) and every value against an
independent re-implementation of gen_row() in tests/test_prefbuf.c. Prints "N passed, N failed"."""
import sys

import h5py
import numpy as np

path, rnd, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
P, R, J = 5, 7, 3
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def expected():
    g = np.arange(n, dtype=np.int64)
    e = {}
    e["prompt_id"] = 1000 + g // 2
    e["pair_id"] = (np.int64(rnd) << 32) | g
    e["chosen_idx"] = (g % 4).astype(np.int32)
    e["rejected_idx"] = ((g + 1 + g % 3) % 4).astype(np.int32)
    e["prompt_len"] = (1 + g % P).astype(np.int32)
    e["chosen_len"] = (g % (R + 1)).astype(np.int32)
    e["rejected_len"] = ((g * 3 + 1) % (R + 1)).astype(np.int32)
    tp, tr = np.arange(P), np.arange(R)
    e["prompt"] = np.where(tp[None, :] < e["prompt_len"][:, None],
                           4 + (g[:, None] * 7 + tp[None, :] * 3) % 18, 0).astype(np.int32)
    e["chosen"] = np.where(tr[None, :] < e["chosen_len"][:, None],
                           4 + (g[:, None] * 5 + tr[None, :]) % 18, 0).astype(np.int32)
    e["rejected"] = np.where(tr[None, :] < e["rejected_len"][:, None],
                             4 + (g[:, None] * 11 + tr[None, :] * 2) % 18, 0).astype(np.int32)
    js = np.zeros((n, J, 2), dtype=np.float32)
    for j in range(J):
        c = ((g * 3 + j) % 16).astype(np.float32) / np.float32(8)
        js[:, j, 0] = np.where((g + j) % 5 == 0, np.float32(np.nan), c)
        js[:, j, 1] = ((g + 2 * j) % 16).astype(np.float32) / np.float32(16) - np.float32(0.5)
    e["judge_scores"] = js
    e["label"] = (g % 3 - 1).astype(np.int8)
    e["prob"] = np.float32(0.5) + (g % 8).astype(np.float32) / np.float32(16)
    e["weight"] = (g % 5).astype(np.float32) / np.float32(4)
    e["confidence"] = (g % 11).astype(np.float32) / np.float32(16)
    e["label_correct"] = np.where(g % 4 == 3, -1, g % 2).astype(np.int8)
    return e


def attr_str(obj, name):
    v = obj.attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


with h5py.File(path, "r") as f:
    check(attr_str(f, "format") == "concord.prefs", "format")
    check(int(f.attrs["format_version"]) == 1, "format_version")
    check(attr_str(f, "created_by").startswith("concord "), "created_by")
    check(int(f.attrs["complete"]) == 1, "complete")
    check(int(f.attrs["round"]) == rnd, "round")
    check(int(f.attrs["n_rows"]) == n, "n_rows")
    check((int(f.attrs["max_prompt_len"]), int(f.attrs["max_resp_len"]),
           int(f.attrs["n_judges"])) == (P, R, J), "P, R, J")
    names = [x.decode() if isinstance(x, bytes) else x for x in f.attrs["judge_names"]]
    check(names == ["llm_judge", "self_consistency", "likelihood"], "judge_names %r" % names)
    check(attr_str(f, "charset") == "0123456789+-*=?YN ", "charset")
    check(attr_str(f, "aggregation") == "majority", "aggregation")
    check(int(f.attrs["pad_id"]) == 0, "pad_id")

    enum = h5py.check_enum_dtype(f["types/pref_label"].dtype)
    check(enum == {"DROPPED": -1, "TIE": 0, "PREFERRED": 1, "CHOSEN_ONLY": 2}, "committed enum %r" % enum)
    label_enum = h5py.check_enum_dtype(f["pairs/label"].dtype)
    check(label_enum == enum, "label column uses the enum")

    exp = expected()
    check(sorted(f["pairs"].keys()) == sorted(exp.keys()), "column names %r" % list(f["pairs"]))
    for name, want in exp.items():
        ds = f["pairs/" + name]
        check(ds.shape == want.shape, "%s shape %r vs %r" % (name, ds.shape, want.shape))
        check(ds.maxshape[0] is None, "%s is extendible along rows" % name)
        check(ds.dtype.itemsize == want.dtype.itemsize and ds.dtype.kind == want.dtype.kind,
              "%s dtype %s vs %s" % (name, ds.dtype, want.dtype))
        check("description" in ds.attrs and "dims" in ds.attrs, "%s description/dims" % name)
        got = ds[()]
        same = np.array_equal(got.view(np.uint8), want.view(np.uint8))
        check(same, "%s values" % name)

    st = f["stats"]
    check(float(st.attrs["kept_fraction"]) == 0.75, "kept_fraction")
    check(float(st.attrs["mean_kendall_tau"]) == -0.125, "mean_kendall_tau")
    check(np.isnan(st.attrs["label_accuracy"]), "label_accuracy is NaN")
    check(float(st.attrs["n_prompts"]) == 18 and float(st.attrs["n_candidates"]) == 72, "counts")
    agree = st["agreement"][()]
    i, j = np.meshgrid(np.arange(J), np.arange(J), indexing="ij")
    want = np.where(i == j, np.float32(1), np.float32(0.5) + np.float32(0.0625) * (i + j))
    check(agree.shape == (J, J) and np.array_equal(agree, want.astype(np.float32)), "agreement")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
