// B5 page: the Go client compiled to wasm (ConvexWasmClient from js/dist,
// which loads goconvex.wasm from beside this bundle).
import { instrumentWebSocket, deploymentUrl, run } from "./page.mjs";
import { ConvexWasmClient } from "../../../js/dist/client.js";

const lastMessage = instrumentWebSocket();
run(new ConvexWasmClient(deploymentUrl()), lastMessage);
