// tests/bpe/hf_oracle.cjs — compares concord's ids for a SmolLM2-shaped tokenizer.json (digits
// split one by one, 17 special tokens; bench/make_llama_tokenizer.py) with Hugging Face's own
// JavaScript tokenizer, @huggingface/tokenizers, which reads the same tokenizer.json.
//
// usage: node hf_oracle.cjs ORACLE_DIR TOKENIZER_JSON CORPUS IDS_SPECIAL
//   ORACLE_DIR      where `npm install --prefix ORACLE_DIR @huggingface/tokenizers` put it
//   CORPUS          NUL-separated records
//   IDS_SPECIAL     concord's ids, one line per record, special tokens allowed (Hugging Face
//                   always matches added tokens in the text)
//
// Rules, record by record:
// - valid UTF-8: concord's ids == Hugging Face's;
// - invalid UTF-8 (a JavaScript string cannot hold it): each maximal well-formed stretch goes to
//   the reference alone; concord's ids must be the stretch's ids in order, with tokens between
//   them that decode to exactly the invalid run;
// - records holding a number character outside ASCII: the JavaScript Digits pre-tokenizer splits
//   only \d (ASCII 0-9 under the u flag), while concord splits every Unicode number as the Rust
//   library does (char::is_numeric: categories Nd, Nl, No). These records are compared with a
//   second instance of the reference whose Digits pattern is given Rust's definition (\p{N}),
//   and counted apart.
// Exit status 0 when every record agrees.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [oracleDir, tokPath, corpusPath, idsPath] = process.argv.slice(2);
if (!idsPath) {
  console.error('usage: node hf_oracle.cjs ORACLE_DIR TOKENIZER_JSON CORPUS IDS_SPECIAL');
  process.exit(2);
}
const req = createRequire(path.resolve(oracleDir) + '/');
const { Tokenizer } = req('@huggingface/tokenizers');
const json = JSON.parse(fs.readFileSync(tokPath, 'utf8'));
const hf = new Tokenizer(json, {});
const hfRust = new Tokenizer(json, {});
{
  const digits = hfRust.pre_tokenizer && hfRust.pre_tokenizer.tokenizers && hfRust.pre_tokenizer.tokenizers[0];
  if (!digits || !(digits.pattern instanceof RegExp)) {
    console.error('hf oracle: cannot find the Digits pre-tokenizer of @huggingface/tokenizers');
    process.exit(2);
  }
  digits.pattern = new RegExp(`[^\\p{N}]+|\\p{N}${json.pre_tokenizer.pretokenizers[0].individual_digits ? '' : '+'}`, 'gu');
}
let reference = hf;
const encode = (text) => reference.encode(text, { add_special_tokens: false }).ids;

// Token bytes (byte-level characters back to bytes; specials as their text), for invalid runs.
const charToByte = new Map();
{
  const printable = (b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
  let extra = 0;
  for (let b = 0; b < 256; b++) charToByte.set(String.fromCodePoint(printable(b) ? b : 256 + extra++), b);
}
const special = new Set(json.added_tokens.filter((t) => t.special).map((t) => t.content));
const tokenBytes = [];
for (const [tok, id] of Object.entries(json.model.vocab)) {
  tokenBytes[id] = special.has(tok) ? Buffer.from(tok) : Buffer.from(Array.from(tok, (c) => charToByte.get(c)));
}

// Length of the well-formed UTF-8 character at buf[i], 0 when none starts there (as train/bpe.c).
function charLen(buf, i) {
  const c = buf[i];
  if (c < 0x80) return 1;
  let len, lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c === 0xe0) { len = 3; lo = 0xa0; }
  else if (c === 0xed) { len = 3; hi = 0x9f; }
  else if (c >= 0xe1 && c <= 0xef) len = 3;
  else if (c === 0xf0) { len = 4; lo = 0x90; }
  else if (c === 0xf4) { len = 4; hi = 0x8f; }
  else if (c >= 0xf1 && c <= 0xf3) len = 4;
  else return 0;
  if (i + len > buf.length || buf[i + 1] < lo || buf[i + 1] > hi) return 0;
  for (let k = 2; k < len; k++) if ((buf[i + k] & 0xc0) !== 0x80) return 0;
  return len;
}

function segments(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    const start = i;
    const valid = charLen(buf, i) > 0;
    while (i < buf.length && (charLen(buf, i) > 0) === valid) i += valid ? charLen(buf, i) : 1;
    out.push({ valid, bytes: buf.subarray(start, i) });
  }
  return out;
}

const corpus = fs.readFileSync(corpusPath);
const records = [];
for (let pos = 0; pos <= corpus.length;) {
  let end = corpus.indexOf(0, pos);
  if (end < 0) end = corpus.length;
  records.push(corpus.subarray(pos, end));
  pos = end + 1;
}
const ids = fs.readFileSync(idsPath, 'utf8').split('\n').map((l) => (l === '' ? [] : l.split(' ').map(Number)));
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const show = (buf) => JSON.stringify(buf.toString('utf8').slice(0, 60));
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const otherNumber = /[^\P{N}0-9]/u;  // a number character outside ASCII's digits

let nValid = 0, nInvalid = 0, nSkipped = 0, nTokens = 0, nDigits = 0;
const failures = [];
const fail = (i, why) => { failures.push(`record ${i} ${show(records[i])}: ${why}`); };

for (let i = 0; i < records.length; i++) {
  const rec = records[i], got = ids[i] || [];
  const segs = segments(rec);
  const texts = segs.map((s) => (s.valid ? decoder.decode(s.bytes) : null));
  const unicodeNumbers = texts.some((t) => t !== null && otherNumber.test(t));
  reference = unicodeNumbers ? hfRust : hf;
  nSkipped += unicodeNumbers;
  nTokens += got.length;
  for (const t of texts) if (t) nDigits += (t.match(/[0-9]/g) || []).length;
  if (segs.every((s) => s.valid)) {
    nValid++;
    const want = encode(texts[0] ?? '');
    if (!same(got, want)) fail(i, `concord [${got.slice(0, 40)}] != Hugging Face [${want.slice(0, 40)}]`);
    continue;
  }
  nInvalid++;
  let k = 0;
  for (let s = 0; s < segs.length; s++) {
    if (segs[s].valid) {
      const want = encode(texts[s]);
      if (!same(got.slice(k, k + want.length), want)) {
        fail(i, `stretch ${show(segs[s].bytes)}: concord [${got.slice(k, k + want.length)}] != [${want}]`);
        break;
      }
      k += want.length;
    } else {
      const parts = [];
      let n = 0;
      while (n < segs[s].bytes.length && k < got.length && tokenBytes[got[k]]) {
        parts.push(tokenBytes[got[k]]);
        n += tokenBytes[got[k]].length;
        k++;
      }
      if (!Buffer.concat(parts).equals(segs[s].bytes)) { fail(i, `invalid run ${segs[s].bytes.toString('hex')}: tokens do not decode to it`); break; }
    }
  }
  if (k !== got.length && failures.length === 0) fail(i, `${got.length - k} ids left over`);
}

console.log(`hf oracle: ${nValid} valid and ${nInvalid} invalid-UTF-8 records, ${nTokens} tokens, ` +
            `${nDigits} ASCII digits compared with @huggingface/tokenizers (${nSkipped} records with ` +
            `non-ASCII number characters against its Digits given Rust's \\p{N}); ${failures.length} failures`);
for (const f of failures.slice(0, 20)) console.log('FAIL ' + f);
process.exit(failures.length ? 1 : 0);
