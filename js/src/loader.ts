/**
 * Loads the Go wasm binary once per page (a module-level singleton: React
 * StrictMode runs effects twice, and two Go runtimes must never start).
 *
 * @module
 */
import "./wasm_exec.js"; // Go's runtime glue (copied from $(go env GOROOT)/lib/wasm at build time): defines globalThis.Go
import type { GoConvexApi } from "./wasm_api.js";

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
