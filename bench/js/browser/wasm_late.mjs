// B5 page: the Go client as in wasm.mjs but without the early socket
// (preconnect: false): the socket is opened by the Go client once the wasm
// has started, as before loader.ts's preconnect.
import "./instrument.mjs"; // first: it wraps WebSocket, WebAssembly and Go before the client loads
import { deploymentUrl, run } from "./page.mjs";
import { ConvexWasmClient } from "../../../js/dist/client.js";

run(new ConvexWasmClient(deploymentUrl(), { preconnect: false }));
