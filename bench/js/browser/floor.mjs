// B5 reference page: the smallest Go wasm program (bench/cmd/wasmfloor),
// fetched, compiled and started the way the loader starts goconvex.wasm
// (WebAssembly.instantiateStreaming with Go's wasm_exec.js).
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
const { instance } = await WebAssembly.instantiateStreaming(fetch("./floor.wasm"), go.importObject);
void go.run(instance);
