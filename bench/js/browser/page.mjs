// Shared by both browser pages (row B5): times, with performance.now()
// (milliseconds since navigation start), the page reaching its script, the
// first result of one subscription, and for each later update the
// WebSocket message event (a listener registered before the client's
// handler) and the moment the new value is in the DOM and laid out.

/** Wraps the global WebSocket before either client makes one. */
export function instrumentWebSocket() {
  const Native = globalThis.WebSocket;
  let lastMessage = 0;
  globalThis.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => {
        lastMessage = performance.now();
      });
    }
  };
  return () => lastMessage;
}

export const scriptStart = performance.now();

export function deploymentUrl() {
  return new URLSearchParams(location.search).get("deployment");
}

/** Subscribes with client.onUpdate (the same call on both clients) and renders. */
export function run(client, lastMessage) {
  const el = document.getElementById("out");
  const state = { scriptStart, first: 0, ready: 0, rounds: [] };
  globalThis.__bench = state;
  // ConvexWasmClient only: when the wasm is fetched, compiled and started
  // and the Go client made.
  client.ready?.then(() => {
    state.ready = performance.now();
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
      } else {
        state.rounds.push({ gen: Number(v.gen), message: lastMessage(), rendered: t });
      }
    },
    (e) => {
      state.error = String(e);
    },
  );
}
