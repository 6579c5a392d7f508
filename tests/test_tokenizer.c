/* tests/test_tokenizer.c — ids, round trip, error messages, decoding of special tokens. */
#include <string.h>

#include "check.h"
#include "train/tokenizer.h"

static void test_default_round_trip(void) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, TOKENIZER_DEFAULT_CHARSET, &e) == 0);
    CHECK_EQ_I64(tokenizer_vocab_size(&tok), 4 + 18);
    CHECK_EQ_I64(tok.n_chars, 18);
    CHECK_EQ_I64(tok.id_of['0'], TOK_FIRST_CHAR);
    CHECK_EQ_I64(tok.id_of[' '], TOK_FIRST_CHAR + 17);
    CHECK_EQ_I64(tok.id_of['a'], -1);

    const char *text = "347+586=933?Y";
    int32_t ids[32];
    int n = tokenizer_encode(&tok, text, ids, 32, &e);
    CHECK_EQ_I64(n, 13);
    CHECK_EQ_I64(ids[0], TOK_FIRST_CHAR + 3);    // '3'
    CHECK_EQ_I64(ids[3], TOK_FIRST_CHAR + 10);   // '+'
    CHECK_EQ_I64(ids[12], TOK_FIRST_CHAR + 15);  // 'Y'
    char out[32];
    CHECK_EQ_I64(tokenizer_decode(&tok, ids, n, out, sizeof out), 13);
    CHECK_TRUE(strcmp(out, text) == 0);
    // Exactly max_ids fits; the empty text gives 0 ids.
    CHECK_EQ_I64(tokenizer_encode(&tok, text, ids, 13, &e), 13);
    CHECK_EQ_I64(tokenizer_encode(&tok, "", ids, 0, &e), 0);
}

static void test_encode_errors(void) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, TOKENIZER_DEFAULT_CHARSET, &e) == 0);
    int32_t ids[32];
    CHECK_TRUE(tokenizer_encode(&tok, "12+x4=", ids, 32, &e) < 0);
    CHECK_MSG(strstr(e.msg, "'x'") && strstr(e.msg, "column 4"), "message: %s", e.msg);
    CHECK_TRUE(tokenizer_encode(&tok, "1\t2", ids, 32, &e) < 0);
    CHECK_MSG(strstr(e.msg, "0x09") && strstr(e.msg, "column 2"), "message: %s", e.msg);
    // Unknown characters are reported even past max_ids.
    CHECK_TRUE(tokenizer_encode(&tok, "1234z", ids, 2, &e) < 0);
    CHECK_MSG(strstr(e.msg, "'z'") && strstr(e.msg, "column 5"), "message: %s", e.msg);
    CHECK_TRUE(tokenizer_encode(&tok, "12345", ids, 4, &e) < 0);
    CHECK_MSG(strstr(e.msg, "longer than max_ids (4)"), "message: %s", e.msg);
    CHECK_TRUE(tokenizer_encode(&tok, "1", NULL, 0, &e) < 0);
}

static void test_init_errors(void) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, "abcb", &e) < 0);
    CHECK_MSG(strstr(e.msg, "'b'") && strstr(e.msg, "position 4") && strstr(e.msg, "position 2"),
              "message: %s", e.msg);
    CHECK_EQ_I64(tok.id_of['a'], -1);  // a failed init leaves no vocabulary behind
    CHECK_TRUE(tokenizer_init(&tok, "", &e) < 0);
    CHECK_MSG(strstr(e.msg, "empty"), "message: %s", e.msg);
    CHECK_TRUE(tokenizer_init(&tok, NULL, &e) < 0);
    CHECK_TRUE(tokenizer_init(&tok, "ab\ncd", &e) < 0);
    CHECK_MSG(strstr(e.msg, "0x0a") && strstr(e.msg, "position 3"), "message: %s", e.msg);
    CHECK_TRUE(tokenizer_init(&tok, "ab\xc3\xa9", &e) < 0);
    CHECK_MSG(strstr(e.msg, "0xc3"), "message: %s", e.msg);

    // All 95 printable ASCII characters fit; more than TOKENIZER_MAX_CHARS (124) is too long.
    char all[96];
    int k = 0;
    for (int c = 0x20; c <= 0x7e; c++) all[k++] = (char)c;
    all[k] = '\0';
    CHECK_TRUE(tokenizer_init(&tok, all, &e) == 0);
    CHECK_EQ_I64(tokenizer_vocab_size(&tok), 4 + 95);
    CHECK_EQ_I64(tok.id_of['~'], 4 + 94);
    char too_long[TOKENIZER_MAX_CHARS + 2];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_TRUE(tokenizer_init(&tok, too_long, &e) < 0);
    CHECK_MSG(strstr(e.msg, "at most 124") && strstr(e.msg, "125"), "message: %s", e.msg);
}

static void test_decode_specials(void) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&tok, "ab", &e) == 0);
    // BOS a SEP b PAD b EOS a  ->  "a|bb" (PAD/BOS dropped, EOS ends)
    int32_t ids[] = {TOK_BOS, 4, TOK_SEP, 5, TOK_PAD, 5, TOK_EOS, 4};
    char out[16];
    CHECK_EQ_I64(tokenizer_decode(&tok, ids, 8, out, sizeof out), 4);
    CHECK_TRUE(strcmp(out, "a|bb") == 0);
    // Out-of-vocabulary ids print as '?'.
    int32_t bad[] = {4, 6, -3, 5};
    CHECK_EQ_I64(tokenizer_decode(&tok, bad, 4, out, sizeof out), 4);
    CHECK_TRUE(strcmp(out, "a??b") == 0);
    // Truncation to out_size - 1 characters, always NUL-terminated.
    int32_t many[] = {4, 5, 4, 5, 4};
    CHECK_EQ_I64(tokenizer_decode(&tok, many, 5, out, 3), 2);
    CHECK_TRUE(strcmp(out, "ab") == 0);
    CHECK_EQ_I64(tokenizer_decode(&tok, many, 5, out, 1), 0);
    CHECK_TRUE(out[0] == '\0');
    CHECK_EQ_I64(tokenizer_decode(&tok, many, 5, out, 0), 0);

    char buf[TOKENIZER_TOKEN_TEXT_MAX];
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, TOK_PAD, buf), "<pad>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, TOK_BOS, buf), "<bos>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, TOK_EOS, buf), "<eos>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, TOK_SEP, buf), "<sep>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, 5, buf), "b") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, 6, buf), "<?>") == 0);
    CHECK_TRUE(strcmp(tokenizer_token_text(&tok, -1, buf), "<?>") == 0);
}

// The same charset gives the same ids; a different order gives different ids.
static void test_charset_is_state(void) {
    Tokenizer a, b, c;
    ErrMsg e = {{0}};
    CHECK_TRUE(tokenizer_init(&a, "xyz", &e) == 0);
    CHECK_TRUE(tokenizer_init(&b, "xyz", &e) == 0);
    CHECK_TRUE(tokenizer_init(&c, "zyx", &e) == 0);
    CHECK_TRUE(memcmp(a.id_of, b.id_of, sizeof a.id_of) == 0);
    CHECK_TRUE(strcmp(a.charset, "xyz") == 0);
    CHECK_TRUE(a.id_of['x'] != c.id_of['x']);
}

int main(void) {
    test_default_round_trip();
    test_encode_errors();
    test_init_errors();
    test_decode_specials();
    test_charset_is_state();
    return check_report();
}
