// What the README says about the wasm client's size is what `make wasm`
// measures: gzip -9 of js/dist/goconvex.wasm.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("README", () => {
  it("states the gzip -9 size of js/dist/goconvex.wasm, to the hundredth of a MB", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8").replace(/\s+/g, " ");
    const m = /`js\/dist\/goconvex\.wasm`, is (\d+\.\d\d) MB compressed with `gzip -9`/.exec(readme);
    expect(m, "the README names the file and the measure").not.toBeNull();
    const stated = Number(m![1]) * 1e6;
    const wasm = readFileSync(join(root, "js/dist/goconvex.wasm"));
    // As js/scripts/wasm-size.mjs measures it: the gzip CLI when there is one.
    let gz: number;
    try {
      gz = execFileSync("gzip", ["-9", "-c"], { input: wasm, maxBuffer: 64 << 20 }).length;
    } catch {
      gz = gzipSync(wasm, { level: 9 }).length;
    }
    expect(Math.abs(gz - stated), `README says ${m![1]} MB; gzip -9 gives ${(gz / 1e6).toFixed(3)} MB`).toBeLessThanOrEqual(10_000);
  });
});
