// B6, JS side: a node process that makes the official client, runs one
// query and prints CLOCK_MONOTONIC at its result. The driver took the same
// clock just before it spawned the process.
import WebSocket from "ws";
import { ConvexClient } from "convex/browser";

const { url } = JSON.parse(process.argv[2]);
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
const v = await client.query("bench:item", { i: 1 });
const t = Number(process.hrtime.bigint());
if (v.i !== 1) throw new Error("coldstart: wrong result");
process.stdout.write(JSON.stringify({ bench: "coldstart", t_result: t }) + "\n");
process.exit(0);
