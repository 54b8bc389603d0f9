// B5 reference page: the smallest Go wasm program (bench/cmd/wasmfloor),
// fetched, compiled and started the way the loader starts goconvex.wasm
// (WebAssembly.instantiateStreaming with Go's wasm_exec.js).
import "../../../js/dist/wasm_exec.js";

const state = { scriptStart: performance.now(), first: 0, rounds: [] };
globalThis.__bench = state;
globalThis.__goStarted = () => {
  state.first = performance.now();
};
const go = new globalThis.Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch("./floor.wasm"), go.importObject);
void go.run(instance);
