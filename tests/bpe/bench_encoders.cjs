// tests/bpe/bench_encoders.cjs — encoding speed of the two JavaScript GPT-2 encoders the tests
// compare against, on the same text as concord in bench/tokenizer_speed.sh: the file's lines
// ('\n' ends a line and is not encoded), each line one encode call, best of REPEATS runs.
// (Whole-text calls are left out: gpt-3-encoder grows its result with Array.concat per piece,
// quadratic in the token count.)
// usage: node bench_encoders.cjs ORACLE_DIR FILE REPEATS
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [oracleDir, file, repeatsArg] = process.argv.slice(2);
const req = createRequire(path.resolve(oracleDir) + '/');
const gpt3 = req('gpt-3-encoder');
const { Tiktoken } = req('js-tiktoken/lite');
const tiktoken = new Tiktoken(req('js-tiktoken/ranks/gpt2'));
const bytes = fs.statSync(file).size;
const lines = fs.readFileSync(file, 'utf8').split('\n');
const repeats = Number(repeatsArg || 3);

function bench(name, encode) {
  let best = Infinity, tokens = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    let k = 0;
    for (const line of lines) k += encode(line).length;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
    tokens = k;
  }
  console.log(`${name} line by line: ${bytes} bytes -> ${tokens} tokens, best of ${repeats}: ` +
              `${best.toFixed(3)} s = ${(bytes / best / 1e6).toFixed(2)} MB/s`);
}
bench('gpt-3-encoder 1.1.4', (s) => gpt3.encode(s));
bench('js-tiktoken 1.0.21 ', (s) => tiktoken.encode(s, [], []));
console.log(`node ${process.version}`);
