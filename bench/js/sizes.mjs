// B5 sizes: raw, gzip -9 and brotli (quality 11) sizes of the Go wasm
// client (goconvex.wasm plus its JS glue: wasm_exec.js, loader and
// ConvexWasmClient, bundled and minified) and of the official browser
// client (ConvexClient from convex/browser, bundled and minified the same
// way with esbuild).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";
import { emit, params } from "./common.mjs";

const { root, wasm } = params;

// The gzip and brotli CLIs when installed, else node's zlib: the same
// choice as js/scripts/wasm-size.mjs, whose gzip -9 figure is the budget's
// (the two gzip implementations differ by a few KB on the wasm).
function viaCli(cmd, args, bytes) {
  try {
    return execFileSync(cmd, args, { input: bytes, maxBuffer: 64 << 20 }).length;
  } catch {
    return undefined;
  }
}

function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: viaCli("gzip", ["-9", "-c"], bytes) ?? gzipSync(bytes, { level: 9 }).length,
    brotli:
      viaCli("brotli", ["-q", "11", "-c"], bytes) ??
      brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }).length,
  };
}

async function bundle(contents) {
  const res = await build({
    stdin: { contents, resolveDir: root, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return Buffer.from(res.outputFiles[0].contents);
}

const official = await bundle(`import { ConvexClient } from "convex/browser"; globalThis.ConvexClient = ConvexClient;`);
const glue = await bundle(
  `import { ConvexWasmClient } from ${JSON.stringify(path.join(root, "js/dist/client.js"))}; globalThis.ConvexWasmClient = ConvexWasmClient;`,
);
const wasmBytes = readFileSync(wasm);
emit({
  bench: "sizes",
  wasm: sizes(wasmBytes),
  glue: sizes(glue),
  wasm_and_glue: sizes(Buffer.concat([wasmBytes, glue])),
  official: sizes(official),
});
