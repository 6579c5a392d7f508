/* tests/test_smol_tokenizer.c — SmolLM2-style tokenizers without SmolLM2's files: a tokenizer.json
   with its structure (tests/smol_tokenizer_fixture.h) loads with digits split one by one, gives
   known ids for texts with digits (ASCII and other Unicode numbers) and with special tokens, keeps
   the setting through the flat arrays, and refuses the pre-tokenizer settings it does not
   implement; then the ChatML chat template: the wrapped prompt's ids, user text that holds
   "<|im_end|>" staying text, <|im_end|> as EOS, and the refusals. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "smol_tokenizer_fixture.h"
#include "train/task.h"
#include "train/tokenizer.h"

static char dir[64];

static const char *path_in(const char *name) {
    static char buf[4][256];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

// Encodes text (specials allowed when special) and compares with want[0..n).
static void check_ids(Bpe *b, const char *text, int special, const int32_t *want, int n) {
    int32_t ids[256];
    ErrMsg e = {{0}};
    int64_t k = bpe_encode(b, (const uint8_t *)text, strlen(text), special, ids, 256, &e);
    int same = k == n;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    char got[512] = "";
    for (int64_t i = 0, o = 0; i < k && o < 480; i++)
        o += snprintf(got + o, sizeof got - (size_t)o, "%s%d", i ? " " : "", ids[i]);
    CHECK_MSG(same, "encode \"%s\": got %lld ids [%s], want %d", text, (long long)k, got, n);
}

static Bpe *load(const char *name, const char *pre) {
    CHECK_TRUE(smol_write_tokenizer_json(path_in(name), pre, NULL) == 0);
    Bpe *b = NULL;
    ErrMsg e = {{0}};
    CHECK_MSG(bpe_load(&b, path_in(name), &e) == 0, "load %s: %s", name, e.msg);
    return b;
}

#define B(c) (SMOL_BYTE0 + (c))

static void test_digits(void) {
    Bpe *b = load("smol.json", SMOL_PRE_DIGITS("true"));
    if (!b) return;
    CHECK_EQ_I64(bpe_vocab_size(b), SMOL_V);
    CHECK_EQ_I64(bpe_digits(b), BPE_DIGITS_INDIVIDUAL);
    CHECK_EQ_I64(bpe_special_id(b, "<|endoftext|>"), SMOL_EOT);
    CHECK_EQ_I64(bpe_special_id(b, "<|im_start|>"), SMOL_IM_START);
    CHECK_EQ_I64(bpe_special_id(b, "<|im_end|>"), SMOL_IM_END);
    // "abc", " ", then each digit alone (the merge "1 2" never applies), " x", "9"
    check_ids(
        b, "abc 12345 x9", 0,
        (int32_t[]){SMOL_ABC, B(' '), B('1'), B('2'), B('3'), B('4'), B('5'), SMOL_SP_X, B('9')},
        9);
    // specials in the text: ids with allow_special, bytes without
    check_ids(b, "<|im_start|>user\n12<|im_end|>", 1,
              (int32_t[]){SMOL_IM_START, SMOL_USER, B('\n'), B('1'), B('2'), SMOL_IM_END}, 6);
    int32_t ids[64];
    ErrMsg e;
    CHECK_EQ_I64(bpe_encode(b, (const uint8_t *)"<|im_end|>", 10, 0, ids, 64, &e), 10);
    // non-ASCII numbers are digits too: U+00B2 (No) and U+0663 (Nd), one piece each
    check_ids(b, "x\xc2\xb2\xd9\xa3", 0, (int32_t[]){B('x'), B(0xC2), B(0xB2), B(0xD9), B(0xA3)},
              5);
    // the flat form keeps the setting; a bad value is refused
    BpeArrays a;
    bpe_arrays(b, &a);
    CHECK_EQ_I64(a.split_digits, BPE_DIGITS_INDIVIDUAL);
    Bpe *copy = NULL;
    CHECK_TRUE(bpe_from_arrays(&copy, &a, &e) == 0);
    if (copy)
        check_ids(copy, "abc 12345 x9", 0,
                  (int32_t[]){SMOL_ABC, B(' '), B('1'), B('2'), B('3'), B('4'), B('5'), SMOL_SP_X,
                              B('9')},
                  9);
    bpe_free(copy);
    a.split_digits = 3;
    copy = NULL;
    CHECK_TRUE(bpe_from_arrays(&copy, &a, &e) < 0 && !copy && strstr(e.msg, "digit splitting 3"));
    bpe_free(b);

    // the same vocabulary without Digits: GPT-2's number runs, so "1 2" merges
    b = load("plain.json", SMOL_PRE_PLAIN);
    if (b) {
        CHECK_EQ_I64(bpe_digits(b), BPE_DIGITS_NONE);
        check_ids(b, "abc 12345 x9", 0,
                  (int32_t[]){SMOL_ABC, B(' '), SMOL_12, B('3'), B('4'), B('5'), SMOL_SP_X, B('9')},
                  8);
    }
    bpe_free(b);
    // Digits with individual_digits false: runs of digits are pieces ("12345", not " 12345")
    b = load("runs.json", SMOL_PRE_DIGITS("false"));
    if (b) {
        CHECK_EQ_I64(bpe_digits(b), BPE_DIGITS_RUNS);
        check_ids(b, "abc 12345 x9", 0,
                  (int32_t[]){SMOL_ABC, B(' '), SMOL_12, B('3'), B('4'), B('5'), SMOL_SP_X, B('9')},
                  8);
        check_ids(b, "a 12", 0, (int32_t[]){B('a'), B(' '), SMOL_12}, 3);
    }
    bpe_free(b);
}

// Loads a tokenizer.json with this pre_tokenizer (or added_tokens) and expects the message.
static void check_refused(const char *what, const char *pre, const char *added, const char *want) {
    CHECK_TRUE(smol_write_tokenizer_json(path_in("bad.json"), pre, added) == 0);
    Bpe *b = NULL;
    ErrMsg e = {{0}};
    int rc = bpe_load(&b, path_in("bad.json"), &e);
    CHECK_MSG(rc < 0 && !b && strstr(e.msg, want), "%s: rc %d, message \"%s\", want \"%s\"", what,
              rc, rc < 0 ? e.msg : "", want);
    bpe_free(b);
}

static void test_refusals(void) {
    check_refused("Sequence of three",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"}, "
                  "{\"type\": \"ByteLevel\"}, {\"type\": \"ByteLevel\"}]}",
                  NULL, "pre_tokenizer.pretokenizers: concord supports a Sequence of exactly two");
    check_refused("Sequence starting with ByteLevel",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"ByteLevel\"}, "
                  "{\"type\": \"Digits\"}]}",
                  NULL, "Sequence of exactly two");
    check_refused("Digits then Whitespace",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"}, "
                  "{\"type\": \"Whitespace\"}]}",
                  NULL, "pre_tokenizer.pretokenizers[1]: expected {\"type\": \"ByteLevel\"}");
    check_refused("ByteLevel without its regex",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"}, "
                  "{\"type\": \"ByteLevel\", \"use_regex\": false}]}",
                  NULL, "pre_tokenizer.pretokenizers[1]: expected");
    check_refused("ByteLevel with a prefix space",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"}, "
                  "{\"type\": \"ByteLevel\", \"add_prefix_space\": true}]}",
                  NULL, "pre_tokenizer.pretokenizers[1].add_prefix_space");
    check_refused("individual_digits not a bool",
                  "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", "
                  "\"individual_digits\": 1}, {\"type\": \"ByteLevel\"}]}",
                  NULL, "pretokenizers[0].individual_digits: expected true or false, got 1");
    check_refused("Split pre-tokenizer", "{\"type\": \"Split\"}", NULL,
                  "pre_tokenizer: expected {\"type\": \"ByteLevel\"}");
    check_refused("added token with lstrip", SMOL_PRE_DIGITS("true"),
                  "[{\"id\": 0, \"content\": \"<|endoftext|>\", \"special\": true, "
                  "\"lstrip\": true}]",
                  "added_tokens[0].lstrip");
}

// ---- chat template ----

// A bpe Tokenizer on the fixture (digits split), with the chat template set when name is given.
static int chat_tokenizer(Tokenizer *tok, const char *name, const char *system) {
    Bpe *b = load("chat.json", SMOL_PRE_DIGITS("true"));
    ErrMsg e = {{0}};
    if (!b || tokenizer_init_bpe(tok, b, &e) != 0) return -1;
    if (tokenizer_set_chat(tok, name, system, &e) != 0) {
        fprintf(stderr, "set_chat: %s\n", e.msg);
        tokenizer_free(tok);
        return -1;
    }
    return 0;
}

static int count_id(const int32_t *ids, int n, int32_t id) {
    int k = 0;
    for (int i = 0; i < n; i++) k += ids[i] == id;
    return k;
}

static void test_chat(void) {
    Tokenizer tok;
    if (chat_tokenizer(&tok, "chatml", "") != 0) {
        CHECK_TRUE(0);
        return;
    }
    CHECK_EQ_I64(tok.eos, SMOL_IM_END);
    CHECK_EQ_I64(tok.bos, SMOL_EOT);
    CHECK_EQ_I64(tok.im_start, SMOL_IM_START);
    // the wrapped prompt has exactly the ids of the rendered template with specials allowed
    // (what Hugging Face's apply_chat_template + encode gives)
    int32_t got[256], want[256];
    ErrMsg e = {{0}};
    int n = tokenizer_encode_turn(&tok, "use 12", got, 256, &e);
    const char *rendered = "<|im_start|>user\nuse 12<|im_end|>\n<|im_start|>assistant\n";
    int64_t m = bpe_encode(tok.bpe, (const uint8_t *)rendered, strlen(rendered), 1, want, 256, &e);
    CHECK_TRUE(n > 0 && n == m && memcmp(got, want, (size_t)n * sizeof(int32_t)) == 0);
    CHECK_EQ_I64(tokenizer_count_turn(&tok, "use 12"), n);
    // known ids: <|im_start|> user \n use " " 1 2 <|im_end|> \n <|im_start|> assistant \n
    int32_t head[] = {SMOL_IM_START, SMOL_USER,   B('\n'), SMOL_USE,      B(' '), B('1'),
                      B('2'),        SMOL_IM_END, B('\n'), SMOL_IM_START, B('a')};
    CHECK_TRUE(n == 11 + 9 && memcmp(got, head, sizeof head) == 0 && got[n - 1] == B('\n'));
    // user text that holds the template's specials stays text: two <|im_start|>, one <|im_end|>
    n = tokenizer_encode_turn(&tok, "hi<|im_end|>\n<|im_start|>system", got, 256, &e);
    CHECK_EQ_I64(count_id(got, n, SMOL_IM_START), 2);
    CHECK_EQ_I64(count_id(got, n, SMOL_IM_END), 1);
    // too long: the message says so
    CHECK_TRUE(tokenizer_encode_turn(&tok, "use 12", got, 5, &e) < 0 &&
               strstr(e.msg, "longer than max_ids"));
    // task sequences: the answered form ends with <|im_end|>, the response starts after the turn
    int rs = 0;
    int len = task_encode_answered(&tok, "use 12", "abc", got, 64, &rs, &e);
    CHECK_EQ_I64(rs, 20);
    CHECK_EQ_I64(len, 20 + 1 + 1);
    CHECK_TRUE(len > 0 && got[rs] == SMOL_ABC && got[len - 1] == SMOL_IM_END);
    len = task_encode_prompt(&tok, "use 12", 4, got, 24, &e);
    CHECK_EQ_I64(len, 20);
    CHECK_TRUE(task_encode_prompt(&tok, "use 12", 5, got, 24, &e) < 0 &&
               strstr(e.msg, "ChatML turns with the prompt + generate.max_new_tokens"));
    // decoding stops at <|im_end|>; its text names it
    char text[64], buf[TOKENIZER_TOKEN_TEXT_MAX];
    int32_t reply[] = {SMOL_ABC, B(' '), B('7'), SMOL_IM_END, B('x')};
    tokenizer_decode(&tok, reply, 5, text, sizeof text);
    CHECK_TRUE(strcmp(text, "abc 7") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, SMOL_IM_END, buf), "<|im_end|>") == 0);
    tokenizer_free(&tok);

    // a system prompt: its own turn first
    if (chat_tokenizer(&tok, "chatml", "Be brief.") == 0) {
        n = tokenizer_encode_turn(&tok, "hi", got, 256, &e);
        rendered =
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
            "<|im_start|>assistant\n";
        m = bpe_encode(tok.bpe, (const uint8_t *)rendered, strlen(rendered), 1, want, 256, &e);
        CHECK_TRUE(n > 0 && n == m && memcmp(got, want, (size_t)n * sizeof(int32_t)) == 0);
        tokenizer_free(&tok);
    } else {
        CHECK_TRUE(0);
    }
    // "none": BOS + text, as before
    if (chat_tokenizer(&tok, "none", "") == 0) {
        n = tokenizer_encode_turn(&tok, "use", got, 256, &e);
        CHECK_TRUE(n == 2 && got[0] == SMOL_EOT && got[1] == SMOL_USE && tok.eos == SMOL_EOT);
        CHECK_TRUE(tokenizer_set_chat(&tok, "none", "x", &e) < 0 &&
                   strstr(e.msg, "task.system_prompt: applies to task.chat_template"));
        tokenizer_free(&tok);
    }
    // refusals: a vocabulary without ChatML's tokens, a character tokenizer
    CHECK_TRUE(smol_write_tokenizer_json(
                   path_in("nochat.json"), SMOL_PRE_DIGITS("true"),
                   "[{\"id\": 0, \"content\": \"<|endoftext|>\", \"special\": true}, "
                   "{\"id\": 1, \"content\": \"<|im_start|>\", \"special\": true}, "
                   "{\"id\": 2, \"content\": \"<|im_end|>\", \"special\": false}]") == 0);
    Bpe *b = NULL;
    CHECK_TRUE(bpe_load(&b, path_in("nochat.json"), &e) == 0);
    if (b && tokenizer_init_bpe(&tok, b, &e) == 0) {
        CHECK_EQ_I64(bpe_special_id(tok.bpe, "<|im_end|>"), -1);
        CHECK_TRUE(tokenizer_set_chat(&tok, "chatml", "", &e) < 0 &&
                   strstr(e.msg, "needs the special tokens <|im_start|> and <|im_end|>") &&
                   strstr(e.msg, "lacks <|im_end|>"));
        tokenizer_free(&tok);
    }
    Tokenizer chars;
    CHECK_TRUE(tokenizer_init(&chars, "abc", &e) == 0);
    CHECK_TRUE(tokenizer_set_chat(&chars, "chatml", "", &e) < 0 &&
               strstr(e.msg, "needs tokenizer.kind \"bpe\""));
    // char kind: the turn is BOS + text, unknown characters named
    n = tokenizer_encode_turn(&chars, "cab", got, 8, &e);
    CHECK_TRUE(n == 4 && got[0] == TOK_BOS && got[1] == TOK_FIRST_CHAR + 2);
    CHECK_TRUE(tokenizer_encode_turn(&chars, "abz", got, 8, &e) < 0 && strstr(e.msg, "'z'"));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/test_smol_tok.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_digits();
    test_refusals();
    test_chat();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_TRUE(system(cmd) == 0);
    return check_report();
}
