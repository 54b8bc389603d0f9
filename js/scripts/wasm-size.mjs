// Prints the raw, gzip -9 and brotli (quality 11) sizes of a wasm binary,
// and checks the gzip size against the budget (≤ 1.0 MB; WASM_GZIP_BUDGET
// overrides it). With --check, a size over the budget fails (exit 1).
// gzip and brotli use their CLIs when installed, else node's zlib.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const check = process.argv.includes("--check");
const file = process.argv.slice(2).find((a) => a !== "--check");
const budget = Number(process.env.WASM_GZIP_BUDGET ?? 1_000_000);
const bytes = readFileSync(file);

function viaCli(cmd, args) {
  try {
    return execFileSync(cmd, args, { input: bytes, maxBuffer: 64 << 20 }).length;
  } catch {
    return undefined;
  }
}
const gz = viaCli("gzip", ["-9", "-c"]) ?? gzipSync(bytes, { level: 9 }).length;
const br =
  viaCli("brotli", ["-q", "11", "-c"]) ??
  brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;
const fmt = (n) => `${n.toLocaleString("en-US")} B (${(n / 1e6).toFixed(2)} MB)`;
console.log(`${file}`);
console.log(`  raw      ${fmt(bytes.length)}`);
console.log(`  gzip -9  ${fmt(gz)}   budget ${fmt(budget)}: ${gz <= budget ? "within" : `OVER by ${fmt(gz - budget)}`}`);
console.log(`  brotli   ${fmt(br)}`);
if (check && gz > budget) {
  console.error(`${file}: gzip -9 size ${fmt(gz)} is over the budget of ${fmt(budget)}`);
  process.exit(1);
}
