// B5 page: the Go client compiled to wasm (ConvexWasmClient from js/dist,
// which loads goconvex.wasm from beside this bundle).
import "./instrument.mjs"; // first: it wraps WebSocket, WebAssembly and Go before the client loads
import { deploymentUrl, run } from "./page.mjs";
import { ConvexWasmClient } from "../../../js/dist/client.js";

run(new ConvexWasmClient(deploymentUrl()));
