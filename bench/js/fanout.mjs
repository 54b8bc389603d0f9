// B2, JS side: n subscriptions (ConvexClient.onUpdate) to fanout:item, each
// updated by one Transition per round. Per round it reports, on
// CLOCK_MONOTONIC:
//   t_last        the last onUpdate callback of the round's generation,
//   t_first_byte  the first socket 'data' event of the frame (first bytes
//                 in the process),
//   t_msg         the ws 'message' event, before the client's handler runs.
// The driver adds the server's send time (its frame observer).
import WebSocket from "ws";
import { emit, fail, newClient, now, params } from "./common.mjs";

const { url, n = 1000, rounds = 10 } = params;

let armed = false;
let tFirstByte = 0;
let tMsg = 0;

class TimedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    // Runs before the listener the client installs with onmessage.
    this.prependListener("message", () => {
      tMsg = now();
    });
    this.once("open", () => {
      this._socket.prependListener("data", () => {
        if (armed) {
          armed = false;
          tFirstByte = now();
        }
      });
    });
  }
}

const client = newClient(url, TimedWebSocket);
const counts = new Map();
let roundsLeft = rounds;
let ready = false;

function onValue(v) {
  const gen = Number(v.gen);
  const c = (counts.get(gen) ?? 0) + 1;
  counts.set(gen, c);
  if (c !== n) return;
  const tLast = now();
  counts.delete(gen);
  const fb = tFirstByte;
  tFirstByte = 0;
  armed = true;
  if (!ready) {
    ready = true;
    emit({ bench: "fanout", event: "ready", gen });
    return;
  }
  emit({ bench: "fanout", event: "round", gen, t_last: tLast, t_first_byte: fb, t_msg: tMsg });
  if (--roundsLeft === 0) {
    emit({ bench: "fanout", event: "done", connections: client.connectionState().connectionCount });
    client.close().then(() => process.exit(0), fail);
  }
}

for (let i = 0; i < n; i++) {
  client.onUpdate("fanout:item", { i }, onValue, fail);
}
