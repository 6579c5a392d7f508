#!/usr/bin/env python3
"""tests/bpe/gen_digit_corpus.py — deterministic records rich in digits and ChatML text, appended
to tests/bpe/gen_corpus.py's corpus for the SmolLM2-shaped tokenizer's parity test: numbers of
every length next to letters, spaces, punctuation, signs and newlines; decimals, dates, versions,
phone numbers, hex, arithmetic; ChatML turns with special tokens; and the specials' text inside
ordinary words. Records are NUL-separated, as gen_corpus.py's.

usage: gen_digit_corpus.py OUT [--records N] [--seed S]
"""
import argparse
import random

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<file_sep>", "<jupyter_code>"]
WORDS = ["the", "sum", "of", "x", "is", "abc", "Year", "v", "page", "id", "num", "a1b2", "O'Neil",
         "caf\u00e9", "\u4e2d\u6587", "\U0001F600"]
SEPS = ["", " ", "  ", "\n", "\n\n", "\t", ".", ",", "-", "+", "=", ":", "/", "(", ")", "'", "\u00a0",
        " \n", "$", "%", "#", "_"]


def number(rng):
    return "".join(rng.choice("0123456789") for _ in range(rng.choice([1, 1, 2, 3, 4, 6, 9, 17])))


def record(rng):
    kind = rng.randrange(6)
    if kind == 0:  # words, numbers and separators mixed
        return "".join(rng.choice([rng.choice(WORDS), number(rng)]) + rng.choice(SEPS)
                       for _ in range(rng.randint(1, 20)))
    if kind == 1:  # formatted numbers
        return rng.choice([
            f"{number(rng)}.{number(rng)}", f"{rng.randint(1900, 2099)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}", f"v{rng.randint(0, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}",
            f"+1 ({number(rng)}) {number(rng)}-{number(rng)}", f"0x{rng.randrange(1 << 32):08x}",
            f"{number(rng)} + {number(rng)} = {number(rng)}", f"-{number(rng)}e-{number(rng)}",
            f"{number(rng)}%", f"${number(rng)},{number(rng)}.{number(rng)}"])
    if kind == 2:  # a ChatML exchange
        sys = f"<|im_start|>system\nYou add {number(rng)} numbers.<|im_end|>\n" if rng.random() < .5 else ""
        return (f"{sys}<|im_start|>user\nWhat is {number(rng)}+{number(rng)}?<|im_end|>\n"
                f"<|im_start|>assistant\n{number(rng)}<|im_end|>\n")
    if kind == 3:  # specials glued to words and digits
        return "".join(rng.choice(SPECIALS + WORDS) + rng.choice(["", number(rng), " "])
                       for _ in range(rng.randint(1, 10)))
    if kind == 4:  # long digit runs and whitespace before digits
        return rng.choice(["", " ", "  ", "\n", "x"]) + number(rng) * rng.randint(1, 8)
    return "".join(rng.choice("0123456789 \n.ab") for _ in range(rng.randint(1, 80)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "wb") as f:
        f.write(b"\0".join(record(rng).encode("utf-8") for _ in range(a.records)))


if __name__ == "__main__":
    main()
