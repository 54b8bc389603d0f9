/**
 * Loads the Go wasm binary once per page (a module-level singleton: React
 * StrictMode runs effects twice, and two Go runtimes must never start).
 *
 * @module
 */
import "./wasm_exec.js"; // Go's runtime glue (copied from $(go env GOROOT)/lib/wasm at build time): defines globalThis.Go
import type { GoConvexApi } from "./wasm_api.js";
import { syncUrl } from "./sync_url.js";
import type { HeadStart } from "./head.js";

export { syncUrl };

/**
 * Where the wasm binary comes from: a URL (fetched and compiled while
 * streaming), a fetch Response (or a promise of one), its bytes, or a
 * compiled WebAssembly.Module.
 */
export type WasmSource =
  | string
  | URL
  | Response
  | PromiseLike<Response>
  | ArrayBuffer
  | ArrayBufferView
  | WebAssembly.Module;

interface GoRuntime {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

declare global {
  // eslint-disable-next-line no-var
  var __goconvex: GoConvexApi | undefined;
  // eslint-disable-next-line no-var
  var __goconvexReady: ((api: GoConvexApi) => void) | undefined;
  /**
   * What the Go transport constructs its sockets with when it is defined
   * (client/internal/transport/transport_js.go, dial): the socket
   * {@link preconnect} opened to the URL, if it is still there, else a new
   * WebSocket.
   */
  // eslint-disable-next-line no-var
  var __goconvexWebSocket: ((url: string) => WebSocket) | undefined;
}

let loading: Promise<GoConvexApi> | undefined;

/** The URL of the wasm binary shipped beside this module (dist/goconvex.wasm). */
export function defaultWasmUrl(): URL {
  return new URL("./goconvex.wasm", import.meta.url);
}

/**
 * Starts the Go runtime from source (default: {@link defaultWasmUrl}) and
 * resolves with its API. Later calls return the same promise, whatever
 * their source; after a failed load the next call tries again.
 */
export function loadGoConvex(source?: WasmSource): Promise<GoConvexApi> {
  if (loading === undefined) {
    loading = start(source ?? defaultWasmUrl());
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

async function start(source: WasmSource): Promise<GoConvexApi> {
  if (globalThis.__goconvex !== undefined) {
    return globalThis.__goconvex; // already running (loaded by another copy of this module)
  }
  const GoCtor = (globalThis as unknown as { Go?: new () => GoRuntime }).Go;
  if (GoCtor === undefined) {
    throw new Error("goconvex: wasm_exec.js did not define globalThis.Go");
  }
  const go = new GoCtor();
  const instance = await instantiate(source, go.importObject);
  const ready = new Promise<GoConvexApi>((resolve) => {
    globalThis.__goconvexReady = resolve;
  });
  const exited = go.run(instance).then(
    () => {
      throw new Error("goconvex: the Go runtime exited");
    },
    (e: unknown) => {
      throw e;
    },
  );
  exited.catch((e: unknown) => {
    console.error("goconvex: the Go runtime stopped; reload the page to use Convex again.", e);
  });
  // main() installs the API before it first blocks, which is before run()
  // returns control here; the ready callback covers any other order.
  const api = globalThis.__goconvex ?? (await Promise.race([ready, exited]));
  globalThis.__goconvexReady = undefined;
  return api;
}

async function instantiate(source: WasmSource, imports: WebAssembly.Imports): Promise<WebAssembly.Instance> {
  const started = takeHeadStart(source);
  if (started !== undefined) {
    try {
      return "module" in started
        ? await WebAssembly.instantiate(await started.module, imports)
        : await instantiate(started.response, imports);
    } catch {
      // The head's fetch or compilation failed (a server that does not send
      // application/wasm, say): load it here as if there were no head start.
    }
  }
  if (source instanceof WebAssembly.Module) {
    return WebAssembly.instantiate(source, imports);
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return (await WebAssembly.instantiate(source as BufferSource, imports)).instance;
  }
  const response: PromiseLike<Response> | Response =
    typeof source === "string" || source instanceof URL ? fetch(source) : source;
  const res = await response;
  if (!res.ok) {
    throw new Error(`goconvex: failed to load the wasm binary from ${res.url}: HTTP ${res.status}`);
  }
  if (typeof WebAssembly.instantiateStreaming === "function" && res.headers.get("Content-Type")?.startsWith("application/wasm")) {
    return (await WebAssembly.instantiateStreaming(res, imports)).instance;
  }
  // A server that does not send application/wasm: compile from the bytes.
  return (await WebAssembly.instantiate(await res.arrayBuffer(), imports)).instance;
}

/**
 * The compilation or download the page's head started (head.ts), when it
 * is of the binary source names: the same absolute URL. Taken once.
 */
function takeHeadStart(
  source: WasmSource,
): { module: Promise<WebAssembly.Module> } | { response: Promise<Response> } | undefined {
  const head: HeadStart | undefined = globalThis.__goconvexHead;
  if (head?.wasm === undefined || (head.module === undefined && head.response === undefined)) return undefined;
  if (typeof source !== "string" && !(source instanceof URL)) return undefined;
  const base = typeof document === "object" ? document.baseURI : undefined;
  let href: string;
  try {
    href = new URL(source, base).href;
  } catch {
    return undefined;
  }
  if (href !== head.wasm) return undefined;
  const { module, response } = head;
  head.module = head.response = undefined; // one Go runtime per page
  return module !== undefined ? { module } : { response: response! };
}

/** How long an early socket waits for the Go client before it is closed. */
const UNCLAIMED_MS = 30_000;

/** An early socket, and how to let go of it (close: drop it for good). */
interface EarlySocket {
  ws: WebSocket;
  release(close: boolean): void;
}

const early = new Map<string, EarlySocket>();

/**
 * Opens the deployment's sync WebSocket now, while the wasm binary is
 * fetched and compiled, so that the TCP, TLS and WebSocket handshakes
 * overlap the Go runtime's start. The Go client's first dial to the same
 * URL takes the socket over (the protocol stays in Go: nothing is sent on
 * it before then). A socket that closes, or that the server writes to,
 * before it is taken is dropped, and so is one still unclaimed after 30 s.
 * At most one early socket per URL. A socket the page's head opened to the
 * URL (head.ts) is taken instead of opening another.
 */
export function preconnect(address: string): void {
  const url = syncUrl(address);
  if (url === undefined || typeof WebSocket !== "function" || early.has(url)) return;
  let ws: WebSocket;
  const head = globalThis.__goconvexHead?.sockets;
  const opened = head?.[url];
  if (opened !== undefined) {
    delete head![url]; // the head's socket: taken from here on
  }
  if (opened !== undefined && opened.readyState <= WebSocket.OPEN) {
    ws = opened;
  } else {
    try {
      ws = new WebSocket(url);
    } catch {
      return;
    }
  }
  const events = ["close", "error", "message"] as const;
  // The server speaks only after the client's Connect: a message now means
  // the socket is not what the Go client expects.
  const drop = () => entry.release(true);
  const entry: EarlySocket = {
    ws,
    release(close) {
      if (early.get(url) !== entry) return;
      early.delete(url);
      clearTimeout(timer);
      for (const ev of events) ws.removeEventListener(ev, drop);
      if (close && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    },
  };
  for (const ev of events) ws.addEventListener(ev, drop);
  const timer = setTimeout(drop, UNCLAIMED_MS);
  (timer as { unref?: () => void }).unref?.(); // node: the wait keeps no process alive
  early.set(url, entry);
  globalThis.__goconvexWebSocket ??= takeOrDial;
}

/** Closes the early socket to a deployment that no Go client has taken yet. */
export function dropPreconnect(address: string): void {
  const url = syncUrl(address);
  if (url !== undefined) early.get(url)?.release(true);
}

/**
 * The Go transport's socket constructor (called with `new`, whose result
 * is the object a function returns): the early socket to url, without the
 * listeners above, or a new WebSocket. An early socket that is already open
 * gets its open event again once the transport has installed its handlers
 * (a microtask runs after the Go code that called here yields).
 */
function takeOrDial(url: string): WebSocket {
  const e = early.get(url);
  if (e === undefined || e.ws.readyState > WebSocket.OPEN) {
    return new WebSocket(url);
  }
  e.release(false);
  const ws = e.ws;
  if (ws.readyState === WebSocket.OPEN) {
    queueMicrotask(() => ws.dispatchEvent(new Event("open")));
  }
  return ws;
}
