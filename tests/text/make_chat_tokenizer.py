"""make_chat_tokenizer.py SRC_BPE_DIR OUT.json — a tokenizer.json in SmolLM2's structure for the
tests: the small BPE of SRC_BPE_DIR (vocab.json + merges.txt) plus <|endoftext|>, <|im_start|> and
<|im_end|> as special added tokens, pre-tokenizer a Sequence of Digits (individual digits) then
ByteLevel. Prints "V IM_START IM_END" (vocabulary size and the two ChatML ids)."""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
vocab = json.load(open(f"{src}/vocab.json", encoding="utf-8"))
merges = [l for l in open(f"{src}/merges.txt", encoding="utf-8").read().split("\n")
          if l and not l.startswith("#version")]
added = []
for name in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]:
    vocab.setdefault(name, len(vocab))
    added.append({"id": vocab[name], "content": name, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": True})
bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
json.dump({"version": "1.0", "added_tokens": added, "normalizer": None,
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "Digits", "individual_digits": True}, bl]},
           "post_processor": bl, "decoder": bl,
           "model": {"type": "BPE", "dropout": None, "vocab": vocab, "merges": merges}},
          open(out, "w", encoding="utf-8"), ensure_ascii=False)
print(len(vocab), vocab["<|im_start|>"], vocab["<|im_end|>"])
