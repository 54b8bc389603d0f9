// B1, JS side: convex/values on the fixture the Go side decodes.
//   decode: jsonToConvex(JSON.parse(s))   encode: JSON.stringify(convexToJson(v))
import { readFileSync } from "node:fs";
import { convexToJson, jsonToConvex } from "convex/values";
import { emit, median, now, params } from "./common.mjs";

const { fixture, warmup = 10, iters = 40 } = params;
const s = readFileSync(fixture, "utf8");
const v = jsonToConvex(JSON.parse(s));
if (JSON.stringify(convexToJson(v)) !== s) throw new Error("codec: re-encoding does not give the fixture back");

const ops = {
  decode: () => jsonToConvex(JSON.parse(s)),
  encode: () => JSON.stringify(convexToJson(v)),
};
const res = { bench: "codec", bytes: Buffer.byteLength(s) };
for (const [name, fn] of Object.entries(ops)) {
  const samples = [];
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = now();
    fn();
    if (i >= warmup) samples.push(now() - t0);
  }
  res[`${name}_ns`] = median(samples);
}
emit(res);
