// Row B5's milestones, for both pages: imported first by each page, so it
// runs before any client code. Every time is performance.now()
// (milliseconds since navigation start) and is recorded from outside the
// clients: WebSocket is wrapped (constructed, open, the first Connect and
// ModifyQuerySet sent, the first Transition received), and so are
// WebAssembly's instantiate calls and Go's run; the moment the Go binary's
// main installs globalThis.__goconvex is caught by a setter. The HTML, the
// script and the wasm's own fetch come from Resource Timing after the load.
//
// The head-start page runs this file a first time inline in its <head>
// (bundled as a classic script, before the head start, so the early socket
// and compilation are seen), and a second time in its bundle: the second
// run finds the first's state in globalThis.__benchInstrument and installs
// nothing again. "scriptStart" is each page's bundle starting (page.mjs).

// Installs the wrappers once per page; later runs get the same state.
function install() {
  const marks = {};
  globalThis.__benchMarks = marks;
  const now = () => performance.now();
  const first = (k) => {
    if (marks[k] === undefined) marks[k] = now();
  };

  function parse(s) {
    try {
      return JSON.parse(s);
    } catch {
      return undefined;
    }
  }

  // WebSocket: every client socket, with a message listener registered
  // before the client's own handler (render latency reads it).
  let lastMessage = 0;
  const NativeWS = globalThis.WebSocket;
  globalThis.WebSocket = class extends NativeWS {
    constructor(...args) {
      first("wsNew");
      super(...args);
      this.addEventListener("open", () => first("wsOpen"));
      this.addEventListener("message", (ev) => {
        lastMessage = now();
        // The first Transition that carries a query result.
        if (marks.transition === undefined && typeof ev.data === "string") {
          const m = parse(ev.data);
          if (m?.type === "Transition" && m.modifications?.some((x) => x.type === "QueryUpdated")) first("transition");
        }
      });
    }
    send(data) {
      // The Connect, and the first ModifyQuerySet that adds a query (the Go
      // client may send an empty one first).
      if (marks.querySetSent === undefined && typeof data === "string") {
        const m = parse(data);
        if (m?.type === "Connect") first("connectSent");
        else if (m?.type === "ModifyQuerySet" && m.modifications?.some((x) => x.type === "Add")) first("querySetSent");
      }
      return super.send(data);
    }
  };

  // WebAssembly: compile (and instantiate) start and end.
  for (const fn of ["instantiateStreaming", "instantiate", "compileStreaming", "compile"]) {
    const orig = WebAssembly[fn];
    if (typeof orig !== "function") continue;
    WebAssembly[fn] = function (...args) {
      first("wasmCompileStart");
      const p = orig.apply(this, args);
      p.then(() => first("wasmCompiled"), () => {});
      return p;
    };
  }

  // Go: the runtime starting (Go.prototype.run, defined by wasm_exec.js, which
  // the Go page's bundle evaluates before this module only if it imports it
  // first; so the prototype is patched when Go appears) and main installing
  // its API.
  function patchGo(Go) {
    if (Go?.prototype?.run && !Go.prototype.run.__bench) {
      const run = Go.prototype.run;
      Go.prototype.run = function (...args) {
        first("goRun");
        return run.apply(this, args);
      };
      Go.prototype.run.__bench = true;
    }
  }
  if (globalThis.Go) {
    patchGo(globalThis.Go);
  } else {
    let Go;
    Object.defineProperty(globalThis, "Go", {
      configurable: true,
      get: () => Go,
      set: (v) => {
        Go = v;
        patchGo(v);
      },
    });
  }
  // ... and the moment the Go client hands a batch of query results to JS
  // (the onUpdate function the page's client passed to subscribe): render
  // latency's split between Go (message → batch) and JS (batch → DOM).
  let lastBatch = 0;
  const wrapHandle = (h) => {
    if (h instanceof Error) return h;
    const subscribe = h.subscribe;
    const wrapped = new Map();
    h.subscribe = (name, args, onUpdate) => {
      if (!wrapped.has(onUpdate)) {
        wrapped.set(onUpdate, (json) => {
          lastBatch = now();
          return onUpdate(json);
        });
      }
      return subscribe.call(h, name, args, wrapped.get(onUpdate));
    };
    return h;
  };
  let api;
  Object.defineProperty(globalThis, "__goconvex", {
    configurable: true,
    get: () => api,
    set: (v) => {
      const create = v.create;
      v.create = (...args) => wrapHandle(create.apply(v, args));
      api = v;
      first("goMain");
    },
  });
  return { marks, lastMessageAt: () => lastMessage, lastBatchAt: () => lastBatch };
}

const state = (globalThis.__benchInstrument ??= install());
export const marks = state.marks;
export const lastMessageAt = state.lastMessageAt;
export const lastBatchAt = state.lastBatchAt;

/** Resource Timing of the navigation and the page's files, after the load. */
export function resourceMarks() {
  const nav = performance.getEntriesByType("navigation")[0];
  const out = { htmlEnd: nav?.responseEnd };
  for (const e of performance.getEntriesByType("resource")) {
    const name = new URL(e.name).pathname.split("/").pop();
    if (name.endsWith(".js")) {
      out.jsStart = e.fetchStart;
      out.jsEnd = e.responseEnd;
      out.jsTransfer = e.transferSize;
    } else if (name.endsWith(".wasm")) {
      out.wasmFetchStart = e.fetchStart;
      out.wasmEnd = e.responseEnd;
      out.wasmTransfer = e.transferSize;
    }
  }
  return out;
}
