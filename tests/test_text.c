/* tests/test_text.c — the tokenizer interface for both kinds (char and GPT-2 BPE: encode/decode,
   special ids, token texts, sameness), stop strings (gen_stop_string_cut and inside generate:
   a response with stops is the stop-free response cut before the first stop, its log-prob the
   kept tokens' sum, and still independent of batching), task.prompt_template filling, and the
   task's token sequences counted in BPE tokens; the score judge's template, score parsing and
   shipped rubric. The BPE is the small GPT-2-style vocabulary of
   tests/text/bpe (256 byte tokens, 14 merges, <|endoftext|> = id 270). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/generate.h"
#include "train/judges.h"
#include "train/rng.h"
#include "train/task.h"
#include "train/tokenizer.h"
#include "util/alloc.h"

static void load_bpe(Tokenizer *tok) {
    const char *src = getenv("CONCORD_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/text/bpe", src ? src : "..");
    Bpe *b = NULL;
    ErrMsg e = {{0}};
    CHECKF(bpe_load(&b, dir, &e) == 0, "loading %s: %s", dir, e.msg);
    CHECKF(tokenizer_init_bpe(tok, b, &e) == 0, "tokenizer_init_bpe: %s", e.msg);
}

static void test_char_interface(void) {
    Tokenizer tok, same, other;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, "ab#", &e) == 0);
    CHECK_EQ_I64(tok.kind, TOKENIZER_CHAR);
    CHECK_EQ_I64(tok.bos, TOK_BOS);
    CHECK_EQ_I64(tok.eos, TOK_EOS);
    CHECK_EQ_I64(tok.pad, TOK_PAD);
    CHECK_EQ_I64(tok.sep, TOK_SEP);
    CHECK_TRUE(tok.bpe == NULL);
    CHECK_EQ_I64(tokenizer_byte_id(&tok, 'b'), TOK_FIRST_CHAR + 1);
    CHECK_EQ_I64(tokenizer_byte_id(&tok, 'z'), -1);
    CHECK_EQ_I64(tokenizer_count(&tok, "abba"), 4);
    CHECK_TRUE(tokenizer_init(&same, "ab#", &e) == 0);
    CHECK_TRUE(tokenizer_init(&other, "ba#", &e) == 0);
    CHECK_TRUE(tokenizer_same(&tok, &same));
    CHECK_TRUE(!tokenizer_same(&tok, &other));
    tokenizer_free(&tok);  // nothing to free for char; safe
}

static void test_bpe_interface(void) {
    Tokenizer tok;
    load_bpe(&tok);
    CHECK_EQ_I64(tok.kind, TOKENIZER_BPE);
    CHECK_EQ_I64(tokenizer_vocab_size(&tok), 271);
    // one special serves as BOS, EOS and PAD; no separator
    CHECK_EQ_I64(tok.bos, 270);
    CHECK_EQ_I64(tok.eos, 270);
    CHECK_EQ_I64(tok.pad, 270);
    CHECK_EQ_I64(tok.sep, -1);
    CHECK_EQ_I64(tokenizer_digit0(&tok), -1);
    CHECK_EQ_I64(tokenizer_byte_id(&tok, 'Y'), 'Y');  // byte tokens are ids 0..255 by byte here
    CHECK_EQ_I64(tokenizer_byte_id(&tok, 'N'), 'N');

    int32_t ids[64];
    ErrMsg e = {{0}};
    // " the" merges to one token (Ġ t, h e, Ġt he): "in the" -> "in", " the"
    int n = tokenizer_encode(&tok, "in the", ids, 64, &e);
    CHECK_EQ_I64(n, 2);
    CHECK_EQ_I64(tokenizer_count(&tok, "in the"), 2);
    char out[128];
    CHECK_EQ_I64(tokenizer_decode(&tok, ids, n, out, sizeof out), 6);
    CHECK_TRUE(strcmp(out, "in the") == 0);
    // user text never yields the special id: "<|endoftext|>" is 13 ordinary byte tokens
    n = tokenizer_encode(&tok, "<|endoftext|>", ids, 64, &e);
    CHECK_EQ_I64(n, 13);
    for (int i = 0; i < n; i++) CHECK_TRUE(ids[i] != tok.eos);
    // a text of 2 tokens does not fit max_ids 1
    CHECK_TRUE(tokenizer_encode(&tok, "in the", ids, 1, &e) < 0);
    CHECK_MSG(strstr(e.msg, "longer than max_ids (1)"), "message: %s", e.msg);
    // decoding stops at EOS; an id out of range is '?'
    int32_t seq[4] = {'h', 'i', 270, 'x'};
    CHECK_EQ_I64(tokenizer_decode(&tok, seq, 4, out, sizeof out), 2);
    CHECK_TRUE(strcmp(out, "hi") == 0);
    int32_t bad[2] = {'a', 9999};
    tokenizer_decode(&tok, bad, 2, out, sizeof out);
    CHECK_TRUE(strcmp(out, "a?") == 0);
    // cut at the buffer: at most out_size - 1 bytes
    n = tokenizer_encode(&tok, "in the", ids, 64, &e);
    CHECK_EQ_I64(tokenizer_decode(&tok, ids, n, out, 4), 3);
    CHECK_TRUE(strcmp(out, "in ") == 0);
    // texts of single tokens
    char buf[TOKENIZER_TOKEN_TEXT_MAX];
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, 270, buf), "<|endoftext|>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, ids[1], buf), " the") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, '\n', buf), "\\x0a") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, 271, buf), "<?>") == 0);
    // sameness: another load of the same files is the same; a char tokenizer is not
    Tokenizer again, ch;
    load_bpe(&again);
    CHECK_TRUE(tokenizer_same(&tok, &again));
    CHECK_TRUE(tokenizer_init(&ch, "ab", &e) == 0);
    CHECK_TRUE(!tokenizer_same(&tok, &ch));
    tokenizer_free(&again);
    tokenizer_free(&tok);
    CHECK_TRUE(tok.bpe == NULL);
}

// Encodes text with tok and returns gen_stop_string_cut of it.
static int cut_of(const Tokenizer *tok, const char *text, const char *const *stops, int n_stops,
                  int *n_tokens) {
    int32_t ids[128];
    ErrMsg e;
    int n = tokenizer_encode(tok, text, ids, 128, &e);
    CHECKF(n >= 0, "encode: %s", e.msg);
    *n_tokens = n;
    return gen_stop_string_cut(tok, ids, n, stops, n_stops);
}

static void test_stop_strings(void) {
    Tokenizer ch, bpe;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&ch, "abc# ", &e) == 0);
    load_bpe(&bpe);
    int n;
    const char *sp[1] = {" "};
    const char *two[2] = {"cc", "#"};
    // none: -1
    CHECK_EQ_I64(cut_of(&ch, "abcab", sp, 1, &n), -1);
    CHECK_EQ_I64(cut_of(&ch, "abcab", sp, 0, &n), -1);
    // cut at the first stop: "#" at 3 comes before "cc" at 5, whichever is listed first
    CHECK_EQ_I64(cut_of(&ch, "abc#acc", two, 2, &n), 3);
    CHECK_EQ_I64(cut_of(&ch, "abccc#", two, 2, &n), 2);
    // a stop at the very end (the last token completes it) and at the very start
    CHECK_EQ_I64(cut_of(&ch, "ab ", sp, 1, &n), 2);
    CHECK_EQ_I64(cut_of(&ch, " ab", sp, 1, &n), 0);
    // a stop split across tokens: "cc" spans the character tokens 'c', 'c'
    const char *cc[1] = {"cc"};
    CHECK_EQ_I64(cut_of(&ch, "abcc", cc, 1, &n), 2);
    const char *nl[1] = {"\n"};
    // BPE: "Answer" is one token (merges A n, An s, Ans w, Answ er); the stop "swe" starts inside
    // it, so that token goes whole: "in Answer" = "in", " ", "Answer" -> keep 2
    const char *swe[1] = {"swe"};
    CHECK_EQ_I64(cut_of(&bpe, "in Answer", swe, 1, &n), 2);
    CHECK_EQ_I64(n, 3);
    // a stop spread over BPE tokens: " the" + "\n" + "##" with stop "e\n#"
    const char *span[1] = {"e\n#"};
    CHECK_EQ_I64(cut_of(&bpe, " the\n##", span, 1, &n), 0);
    CHECK_EQ_I64(n, 3);
    // stop right after a whole token: " the" | "\n" -> keep 1
    CHECK_EQ_I64(cut_of(&bpe, " the\n##", nl, 1, &n), 1);
    tokenizer_free(&bpe);
}

static void test_prompt_template(void) {
    char out[64];
    CHECK_EQ_I64(task_fill_prompt_template("{prompt}", "2+2", out, sizeof out), 3);
    CHECK_TRUE(strcmp(out, "2+2") == 0);
    CHECK_EQ_I64(task_fill_prompt_template("Question: {prompt}\nAnswer:", "why", out, sizeof out),
                 21);
    CHECK_TRUE(strcmp(out, "Question: why\nAnswer:") == 0);
    CHECK_EQ_I64(task_fill_prompt_template("{prompt} ->", "x", out, sizeof out), 4);
    CHECK_TRUE(strcmp(out, "x ->") == 0);
    CHECK_EQ_I64(task_fill_prompt_template("Q: {prompt}", "", out, sizeof out), 3);
    CHECK_TRUE(strcmp(out, "Q: ") == 0);
    // does not fit: 7 bytes + NUL in 7
    CHECK_EQ_I64(task_fill_prompt_template("Q: {prompt}", "abcd", out, 7), -1);
    CHECK_EQ_I64(task_fill_prompt_template("Q: {prompt}", "abcd", out, 8), 7);
}

static void test_task_sequences_bpe(void) {
    Tokenizer tok;
    load_bpe(&tok);
    int32_t ids[64];
    int rs = -1;
    ErrMsg e = {{0}};
    // BOS + "in the" (2 tokens) + " the" (1) + EOS
    int n = task_encode_answered(&tok, "in the", " the", ids, 64, &rs, &e);
    CHECK_EQ_I64(n, 5);
    CHECK_EQ_I64(rs, 3);
    CHECK_EQ_I64(ids[0], 270);
    CHECK_EQ_I64(ids[4], 270);
    CHECK_EQ_I64(task_encode_answered(&tok, "in the", " the", ids, 5, &rs, &e), 5);
    CHECK_EQ_I64(task_encode_answered(&tok, "in the", " the", ids, 4, &rs, &e), -1);
    CHECK_MSG(strstr(e.msg, "needs 5 tokens"), "message: %s", e.msg);
    // BOS + prompt with room for max_new: 1 + 2 + 3 = 6
    CHECK_EQ_I64(task_encode_prompt(&tok, "in the", 3, ids, 6, &e), 3);
    CHECK_EQ_I64(task_encode_prompt(&tok, "in the", 4, ids, 6, &e), -1);
    int32_t yes, no;
    CHECK_TRUE(task_verdict_ids(&tok, &yes, &no, &e) == 0);
    CHECK_EQ_I64(yes, 'Y');
    CHECK_EQ_I64(no, 'N');
    tokenizer_free(&tok);
}

// A response with stop strings is the stop-free response cut before the first stop, with the
// log-prob of the kept tokens; and it is the same in a batch of 1 as in a batch of all.
static void test_generate_stops(void) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, "abc", &e) == 0);  // V = 7: small, so stops are frequent
    GPTConfig cfg = {.V = 7, .Vp = 8, .T = 24, .C = 16, .L = 1, .NH = 2};
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 5);
    Rng r = rng_stream(3, 3);
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.3f * rng_normal(&r);
    enum { N = 8, P = 3, M = 12 };
    int32_t prompts[N * P], plen[N];
    uint32_t pid[N], sid[N];
    for (int i = 0; i < N; i++) {
        prompts[i * P] = TOK_BOS;
        for (int t = 1; t < P; t++) prompts[i * P + t] = TOK_FIRST_CHAR + (int32_t)rng_below(&r, 3);
        plen[i] = P, pid[i] = (uint32_t)i, sid[i] = 0;
    }
    const char *stops[2] = {"cb", "aa"};
    GenParams free_gp = {.seed = 11,
                         .round = 1,
                         .max_new = M,
                         .eos = TOK_EOS,
                         .sample = {.temperature = 1.0f, .top_p = 1.0f}};
    GenParams stop_gp = free_gp;
    stop_gp.stop_tok = &tok, stop_gp.stop_str = stops, stop_gp.n_stop_str = 2;
    KVCache kv;
    Activations a;
    kv_init(&kv, &cfg, N, cfg.T);
    acts_init(&a, &cfg, N, cfg.T, 0);
    int32_t rf[N * M], lf[N], rs_[N * M], ls[N], r1[M], l1;
    double pf[N], ps[N], p1;
    generate(rf, lf, pf, &kv, &a, &w, prompts, plen, N, P, pid, sid, &free_gp);
    generate(rs_, ls, ps, &kv, &a, &w, prompts, plen, N, P, pid, sid, &stop_gp);
    int cut_any = 0;
    for (int i = 0; i < N; i++) {
        int n = lf[i] > 0 && rf[i * M + lf[i] - 1] == TOK_EOS ? lf[i] - 1 : lf[i];
        int keep = gen_stop_string_cut(&tok, rf + i * M, n, stops, 2);
        // the first stop shows up in the free response's text; the stopped one ends before it
        int expect = keep >= 0 ? keep : lf[i];
        CHECK_EQ_I64(ls[i], expect);
        CHECK_TRUE(memcmp(rs_ + i * M, rf + i * M, (size_t)ls[i] * sizeof(int32_t)) == 0);
        char text[64];
        tokenizer_decode(&tok, rs_ + i * M, ls[i], text, sizeof text);
        CHECK_TRUE(!strstr(text, "cb") && !strstr(text, "aa"));
        if (keep < 0) {
            CHECK_TRUE(ps[i] == pf[i]);  // untouched: the same bits
        } else {
            cut_any = 1;
            CHECK_TRUE(ps[i] >= pf[i]);  // fewer (negative) terms
        }
        // a batch of one gives the same bits
        generate(r1, &l1, &p1, &kv, &a, &w, prompts + i * P, plen + i, 1, P, pid + i, sid + i,
                 &stop_gp);
        CHECK_EQ_I64(l1, ls[i]);
        CHECK_TRUE(memcmp(r1, rs_ + i * M, (size_t)l1 * sizeof(int32_t)) == 0 && p1 == ps[i]);
    }
    CHECK_MSG(cut_any, "no response met a stop string (the test needs one)");
    kv_free(&kv);
    acts_free(&a);
    param_slab_free(&w);
}

// The Self-Rewarding judge's pieces: its template, the score parser and the shipped rubric.
static void test_score_judge(void) {
    char why[160], out[256];
    CHECK_EQ_I64(judge_score_template_check("Q: {prompt}\nA: {response}\nScore:", why, 160), 0);
    CHECK_EQ_I64(judge_score_template_check(JUDGE_SCORE_RUBRIC, why, 160), 0);
    CHECK_EQ_I64(judge_score_template_check("Q: {prompt}", why, 160), -1);
    CHECK_MSG(strstr(why, "{prompt} and {response} once each"), "%s", why);
    CHECK_EQ_I64(judge_score_template_check("{prompt}{response}{response}", why, 160), -1);
    CHECK_EQ_I64(judge_score_template_check("{prompt}{response}{x}", why, 160), -1);
    CHECK_EQ_I64(judge_fill_score_template("Q: {prompt}\nA: {response}\nScore:", "2+2", "4", out,
                                           sizeof out),
                 18);
    CHECK_TRUE(strcmp(out, "Q: 2+2\nA: 4\nScore:") == 0);
    CHECK_EQ_I64(judge_fill_score_template("{response} after {prompt}", "p", "r", out, 10), 9);
    CHECK_TRUE(strcmp(out, "r after p") == 0);
    CHECK_EQ_I64(judge_fill_score_template("{response} after {prompt}", "p", "r", out, 9), -1);
    CHECK_TRUE(
        strcmp(judge_score_template_tail("Q: {prompt}\nA: {response}\nScore:"), "\nScore:") == 0);
    // valid, and every value of the range
    CHECK_EQ_I64(judge_parse_score("Relevant and complete.\nScore: 4", 5), 4);
    CHECK_EQ_I64(judge_parse_score("Score:0", 5), 0);
    CHECK_EQ_I64(judge_parse_score("Score:   5 points", 5), 5);
    // out of range or not a whole number: abstain
    CHECK_EQ_I64(judge_parse_score("Score: 6", 5), -1);
    CHECK_EQ_I64(judge_parse_score("Score: 12", 5), -1);
    CHECK_EQ_I64(judge_parse_score("Score: 99999999999999999999", 5), -1);
    CHECK_EQ_I64(judge_parse_score("Score: 4.5", 5), -1);
    CHECK_EQ_I64(judge_parse_score("Score: -1", 5), -1);
    // missing: abstain ("Score: <points>" from the rubric's own text is not a score)
    CHECK_EQ_I64(judge_parse_score("", 5), -1);
    CHECK_EQ_I64(judge_parse_score("I would give it a 3.", 5), -1);
    CHECK_EQ_I64(judge_parse_score("the line \"Score: <points>\".\nfine", 5), -1);
    CHECK_EQ_I64(judge_parse_score("score: 3", 5), -1);  // the form is "Score:"
    // several: the last one counts, also when it is out of range
    CHECK_EQ_I64(judge_parse_score("Score: 2 ... no, Score: 3", 5), 3);
    CHECK_EQ_I64(judge_parse_score("Score: 2\nScore: 9", 5), -1);
    CHECK_EQ_I64(judge_parse_score("Score: 4.5 then Score: 1", 5), 1);
    CHECK_EQ_I64(judge_parse_score("Score: 3 and \"Score: <points>\"", 5), 3);  // not a score
    // the template's tail followed by the judge's words: "\nScore:" + " 2"
    CHECK_EQ_I64(judge_parse_score("\nScore: 2", 5), 2);
    // configs/srlm-judge.txt is the built-in rubric, byte for byte
    const char *src = getenv("CONCORD_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/srlm-judge.txt", src ? src : "..");
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (f) {
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        CHECK_MSG(strcmp(buf, JUDGE_SCORE_RUBRIC) == 0, "%s differs from JUDGE_SCORE_RUBRIC", path);
    }
}

int main(void) {
    test_char_interface();
    test_score_judge();
    test_bpe_interface();
    test_stop_strings();
    test_prompt_template();
    test_task_sequences_bpe();
    test_generate_stops();
    return check_report();
}
