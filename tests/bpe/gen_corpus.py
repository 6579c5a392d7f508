#!/usr/bin/env python3
"""tests/bpe/gen_corpus.py — deterministic test text for the BPE tokenizer (no downloads).

Writes records separated by NUL bytes (records may hold newlines, so whitespace runs with newlines
are tested too; no record holds a NUL). The mix: English prose with contractions, code, numbers,
whitespace runs (spaces, tabs, newlines, CR, Unicode spaces), punctuation, accented and
non-Latin scripts, CJK, emoji sequences, "<|endoftext|>", long runs, random mixtures, and records
with invalid UTF-8 (stray bytes, truncated, overlong, surrogate and out-of-range sequences).

Letters and digits come only from blocks assigned before Unicode 14, so that PCRE2's tables and
the JavaScript engine's agree on what is a letter.

usage: gen_corpus.py OUT [--records N] [--seed S] [--valid-only] [--sep newline] [--no-long-runs]
  --valid-only --sep newline --no-long-runs: ordinary valid text for speed measurements.
"""
import argparse
import random

WORDS = """the of and to in is was that for it as with be on not he by are this at from his but
have an they which or one had you were her all she there would their we him been has when who will
more no if out so said what up its about into than them can only other new some could time these
two may then do first any my now such like our over man me even most made after also did many
before must through back years where much your way well down should because each just those people
how too little state good very make world still own see men work long get here between both life
being under never day same another know while last might us great old year off come since against
go came right used take three""".split()

CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ll", "'x", "'",
                "\u2019s", "''", "'s'", "'ss"]
PUNCT = list(".,;:!?-()[]{}\"'`~@#$%^&*_+=|\\/<>") + ["...", "--", "?!", "\u2014", "\u2026",
                                                       "\u00ab", "\u00bb", "\u201c", "\u201d"]
NAMES = ["Alice", "Bob", "O'Neil", "McDonald", "NASA", "iPhone", "GPT-2", "C++", "x86_64"]

# Non-Latin words and letters (all assigned long before Unicode 14).
SCRIPTS = [
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00e0 la cr\u00e8me fa\u00e7ade co\u00f6perate",
    "\u00dcber gr\u00f6\u00dfe Stra\u00dfe M\u00e4dchen \u00e4\u00f6\u00fc \u00c4\u00d6\u00dc",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u: \u0111\u01b0\u1eddng ph\u1ed1 H\u00e0 N\u1ed9i",
    "e\u0301 a\u0300 o\u0302 n\u0303 u\u0308 (combining marks)",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03b1\u03b2\u03b3 \u03a9\u03bc\u03ad\u03b3\u03b1",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u044f\u0437\u044b\u043a \u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u05e9\u05dc\u05d5\u05dd",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    "\u4e2d\u6587\u5b57\u7b26\u6d4b\u8bd5\uff0c\u4f60\u597d\u4e16\u754c\u3002",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u3072\u3089\u304c\u306a\u3068\u30ab\u30bf\u30ab\u30ca",
    "\ud55c\uad6d\uc5b4 \ud14c\uc2a4\ud2b8 \uc548\ub155\ud558\uc138\uc694",
    "\u0561\u0580\u0565\u0582 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8 \u12a0\u121b\u122d\u129b",
    "\u1f00\u1f10 \u0130stanbul \u0131\u0130 \ufb01 \ufb00 \u00b5 \u212b",
]
# Characters by class, for random mixtures.
LETTERS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u00e9\u00df\u0101\u0142\u03b1"
           "\u03a9\u0436\u0416\u05d0\u0628\u0915\u0e01\u4e00\u4e8c\u3042\u30a2\uac00\u1100\u02b0"
           "\u1e9e\u0149\u01c5\u2c65\ua7aa")
DIGITS = ("0123456789\u0660\u0663\u0966\u096a\uff11\uff12\u00b2\u00b3\u00bd\u2153\u2160\u216b"
          "\u2460\u3007\U0001d7d8")
# Spaces: JavaScript's \s set (including U+FEFF), and U+0085 / U+180E (not \s in JavaScript).
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\u00a0", "\u1680", "\u2000",
          "\u2003", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u0085",
          "\u180e", "\u200b"]
SYMBOLS = list("+-*/=<>!?@#$%&|~^`.,;:'\"()[]{}\\_") + [
    "\u00a9", "\u00ae", "\u2122", "\u20ac", "\u00a3", "\u00a5", "\u2192", "\u2264", "\u221e",
    "\u2211", "\u00b0", "\u00a7", "\u00b6", "\u2022", "\u00b7", "\u0301", "\u200d", "\ufe0f",
    "\ue000", "\U000f0000", "\u00ad", "\x01", "\x1b", "\x7f", "\x1f"]
EMOJI = ["\U0001f600", "\U0001f44d", "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "\U0001f680",
         "\U0001f1fa\U0001f1f8", "\U0001f1ef\U0001f1f5", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
         "\U0001f9d1\u200d\U0001f4bb", "\u263a", "\u2705", "\U0001f525\U0001f525\U0001f525",
         "\U0001f3f3\ufe0f\u200d\U0001f308", "#\ufe0f\u20e3", "\U0001f914", "\u270c\U0001f3ff"]

CODE = [
    "def f(x):\n    return x * 2  # doubles\n",
    "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}\n",
    "if (x != NULL && x->next) { free(x); }",
    "const y = arr.map((v) => v ** 2).filter(Boolean);",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "<div class=\"main\"><p>Hello &amp; welcome!</p></div>",
    "    \n        \n\t\t  \n",
    "x+=1;y-=2;z*=3;w/=4;v%=5;u<<=6;t>>=7;s&=8;r|=9;q^=10;",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }\n",
    "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
    "$ ls -la ~/src | grep '\\.c$' > out.txt 2>&1",
    "    if self.value is None:\n        raise ValueError(f\"bad {self.name!r}\")\n",
]


def number(r):
    k = r.randrange(9)
    if k == 0:
        return str(r.randrange(10))
    if k == 1:
        return str(r.randrange(10 ** r.randrange(1, 20)))
    if k == 2:
        return f"{r.uniform(-1e4, 1e4):.{r.randrange(1, 8)}f}"
    if k == 3:
        return f"{r.randrange(1900, 2100)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
    if k == 4:
        return f"+1 ({r.randrange(100, 999)}) {r.randrange(100, 999)}-{r.randrange(1000, 9999)}"
    if k == 5:
        return f"{r.randrange(1, 999):,}".replace(",", r.choice([",", ".", " ", "\u00a0"]))
    if k == 6:
        return "".join(r.choice(DIGITS) for _ in range(r.randrange(1, 8)))
    if k == 7:
        return f"{r.random():.3e}"
    return "0x" + format(r.randrange(1 << 32), "x")


def sentence(r):
    out = []
    for i in range(r.randrange(3, 18)):
        w = r.choice(WORDS)
        roll = r.random()
        if i == 0 or roll < 0.05:
            w = w.capitalize()
        elif roll < 0.07:
            w = w.upper()
        if r.random() < 0.08:
            w += r.choice(CONTRACTIONS)
        if r.random() < 0.05:
            w = r.choice(NAMES)
        if r.random() < 0.06:
            w = number(r)
        out.append(w)
        if r.random() < 0.1:
            out.append(r.choice([",", ";", ":", " -", " (", ")"]))
    text = " ".join(out) + r.choice([".", "!", "?", "...", "", "\u2026"])
    return text


def whitespace(r):
    parts = []
    for _ in range(r.randrange(1, 8)):
        parts.append(r.choice(WORDS + ["", "", ".", "x"]))
        parts.append("".join(r.choice(SPACES) for _ in range(r.randrange(1, 6))))
    if r.random() < 0.5:
        parts.append(" " * r.randrange(1, 5))
    if r.random() < 0.5:
        parts.append("\n" * r.randrange(1, 4))
    return "".join(parts)


def mixture(r):
    pools = [LETTERS, DIGITS, SPACES, SYMBOLS, EMOJI, CONTRACTIONS]
    out = []
    for _ in range(r.randrange(1, 40)):
        pool = r.choice(pools)
        out.append(r.choice(pool) * (r.randrange(1, 4) if r.random() < 0.2 else 1))
    return "".join(out)


def long_run(r):
    unit = r.choice(["a", " ", "\n", "1", "ab", "!", "\u00e9", "\u4e00", " \n", "\t", "=-",
                     "\U0001f600", "the ", "'s"])
    # At most about 1,000 bytes: js-tiktoken's merge loop is quadratic in the piece length.
    return unit * r.randrange(30, 1000 // len(unit.encode("utf-8")))


def valid_record(r, long_runs=True):
    k = r.randrange(100)
    if not long_runs and 80 <= k < 82:
        k = 0
    if k < 35:
        return " ".join(sentence(r) for _ in range(r.randrange(1, 4)))
    if k < 45:
        return r.choice(CODE) if r.random() < 0.5 else r.choice(CODE) + sentence(r)
    if k < 52:
        return " ".join(number(r) for _ in range(r.randrange(1, 8)))
    if k < 62:
        return whitespace(r)
    if k < 72:
        s = r.choice(SCRIPTS)
        return s if r.random() < 0.5 else sentence(r) + " " + s + " " + number(r)
    if k < 77:
        return sentence(r) + " " + "".join(r.choice(EMOJI) for _ in range(r.randrange(1, 5)))
    if k < 80:
        eot = "<|endoftext|>"
        return r.choice([eot, sentence(r) + eot + sentence(r), eot + eot, " " + eot + " ",
                         "<|endoftext|", "<|endoftext|><|endoftext", "x<|endoftext|>\n"])
    if k < 82:
        return long_run(r)
    if k < 84:
        return r.choice(["", " ", "\n", "'", "'s", "a", "0", "\u00a0", "\ufeff"])
    return mixture(r)


INVALID = [b"\x80", b"\xbf", b"\xff", b"\xfe", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
           b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xc3", b"\xe2\x82",
           b"\xf0\x9f\x98", b"\xe2\x28\xa1", b"\xc3\x28", b"\xf0\x28\x8c\xbc", b"\x80\x80\x80"]


def invalid_record(r):
    text = valid_record(r).encode("utf-8")
    for _ in range(r.randrange(1, 4)):
        bad = r.choice(INVALID) if r.random() < 0.7 else bytes(
            r.randrange(0x80, 0x100) for _ in range(r.randrange(1, 5)))
        cut = r.randrange(len(text) + 1)
        if r.random() < 0.3 and len(text) > 1:
            cut = r.randrange(1, len(text))  # may split a character: more invalid bytes
        text = text[:cut] + bad + text[cut:]
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=2019)
    ap.add_argument("--valid-only", action="store_true")
    ap.add_argument("--sep", choices=["nul", "newline"], default="nul")
    ap.add_argument("--no-long-runs", action="store_true",
                    help="prose instead of the 30..1000-byte runs of one unit")
    a = ap.parse_args()
    r = random.Random(a.seed)
    records = []
    for _ in range(a.records):
        if not a.valid_only and r.random() < 0.08:
            rec = invalid_record(r)
        else:
            rec = valid_record(r, not a.no_long_runs).encode("utf-8")
        records.append(rec.replace(b"\0", b""))
    sep = b"\0" if a.sep == "nul" else b"\n"
    with open(a.out, "wb") as f:
        f.write(sep.join(records))


if __name__ == "__main__":
    main()
