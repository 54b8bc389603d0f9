// B5 reference page: the smallest Go wasm program (bench/cmd/wasmfloor),
// fetched and compiled from the page's head as the Go page's goconvex.wasm
// is, and started the way the loader starts it (Go's wasm_exec.js).
import { marks, resourceMarks } from "./instrument.mjs";
import "../../../js/dist/wasm_exec.js";

marks.scriptStart = performance.now();
const state = { scriptStart: marks.scriptStart, first: 0, rounds: [], marks };
globalThis.__bench = state;
globalThis.__goStarted = () => {
  state.first = performance.now();
  marks.goMain = state.first;
  Object.assign(marks, resourceMarks());
};
const go = new globalThis.Go();
// Compiled from the page's head, as the Go page's binary is (its HTML
// carries the same head start, naming floor.wasm and no deployment).
const early = globalThis.__goconvexHead?.module;
const instance = early
  ? await WebAssembly.instantiate(await early, go.importObject)
  : (await WebAssembly.instantiateStreaming(fetch("./floor.wasm"), go.importObject)).instance;
void go.run(instance);
