// Shared by both browser pages (row B5): times, with performance.now()
// (milliseconds since navigation start), the first result of one
// subscription, and for each later update the WebSocket message event (a
// listener registered before the client's handler, in instrument.mjs) and
// the moment the new value is in the DOM and laid out. The milestones
// before the first result are instrument.mjs's.
import { marks, lastBatchAt, lastMessageAt, resourceMarks } from "./instrument.mjs";

// The page's bundle starts running (the instrument may have run before, in the head).
marks.scriptStart = performance.now();
export const scriptStart = marks.scriptStart;

export function deploymentUrl() {
  return new URLSearchParams(location.search).get("deployment");
}

/** Subscribes with client.onUpdate (the same call on both clients) and renders. */
export function run(client) {
  const el = document.getElementById("out");
  const state = { scriptStart, first: 0, ready: 0, rounds: [], marks };
  globalThis.__bench = state;
  // ConvexWasmClient only: when the wasm is fetched, compiled and started
  // and the Go client made.
  client.ready?.then(() => {
    state.ready = performance.now();
    marks.ready = state.ready;
  });
  client.onUpdate(
    "fanout:item",
    { i: 0 },
    (v) => {
      el.textContent = `${v.title}: ${v.body.slice(0, 40)}`;
      void el.offsetHeight; // force layout: the value is rendered
      const t = performance.now();
      if (state.first === 0) {
        state.first = t;
        marks.dom = t;
        Object.assign(marks, resourceMarks());
      } else {
        state.rounds.push({ gen: Number(v.gen), message: lastMessageAt(), batch: lastBatchAt(), rendered: t });
      }
    },
    (e) => {
      state.error = String(e);
    },
  );
}
