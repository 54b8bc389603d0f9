/**
 * The head start: a few lines an app's HTML runs in its `<head>`, before the
 * app's own script has even been fetched. They start what does not need Go:
 * fetching goconvex.wasm (and, with `compile: true`, compiling it), and
 * opening the deployment's sync WebSocket. The loader takes both over when
 * the app's script runs (loadGoConvex and preconnect in loader.ts); the
 * protocol stays in Go, nothing is sent on the socket before the Go client
 * has it.
 *
 * Without a head start the same work begins only once the app's script has
 * arrived and run; with it, the download of the binary overlaps the download
 * of the script. `@goconvex/react/vite` writes it into a Vite app's
 * index.html; other hosts can put {@link headScript}'s text in an inline
 * `<script>`.
 *
 * @module
 */
import { syncUrl } from "./sync_url.js";

/** What the head start leaves for the loader, as `globalThis.__goconvexHead`. */
export interface HeadStart {
  /** The absolute URL of the wasm binary being fetched. */
  wasm?: string;
  /** Its compilation (WebAssembly.compileStreaming of a fetch of wasm), with `compile: true`. */
  module?: Promise<WebAssembly.Module> | undefined;
  /** Its fetch, when the head only downloads (the default). */
  response?: Promise<Response> | undefined;
  /** Sockets opened early, by sync URL, until the loader takes them. */
  sockets: Record<string, WebSocket>;
}

declare global {
  // eslint-disable-next-line no-var
  var __goconvexHead: HeadStart | undefined;
}

/** What to start from the page's head. */
export interface HeadOptions {
  /** The URL of goconvex.wasm as the page's script will load it (relative to the page, or absolute). */
  wasmUrl?: string;
  /** The deployment (https://…convex.cloud, or http:// on loopback), to open its sync socket early. */
  deploymentUrl?: string;
  /**
   * Only download the wasm from the head and compile it once the page's
   * script runs (default), or compile it from the head as it downloads
   * (true). Compiling early can finish the binary sooner, but the browser's
   * main thread takes part in compiling, so on a machine with few cores it
   * holds back the app's own script until the binary is compiled; on the
   * 2-core machine of bench/RESULTS.md (row B5, which measures both) it did
   * that without bringing the first result sooner.
   */
  compile?: boolean;
}

/** How long a socket the head opened waits for the loader before it is closed. */
export const HEAD_SOCKET_UNCLAIMED_MS = 30_000;

/**
 * The text of the inline script (without the `<script>` tags) that starts
 * what options name. Plain ES2017, no imports; safe to put between
 * `<script>` and `</script>` (no `<` is left in the values). A deployment
 * the Go client would not connect to opens no socket.
 */
export function headScript(options: HeadOptions): string {
  const sync = options.deploymentUrl === undefined ? undefined : syncUrl(options.deploymentUrl.trim());
  const arg = (v: string | undefined) => (v === undefined ? "null" : JSON.stringify(v).replace(/</g, "\\u003c"));
  return `(function (wasm, compile, sync, unclaimedMs) {
  var g = globalThis;
  if (g.__goconvexHead) return;
  var h = (g.__goconvexHead = { sockets: {} });
  if (wasm && typeof WebAssembly === "object") {
    h.wasm = new URL(wasm, document.baseURI).href;
    if (compile && typeof WebAssembly.compileStreaming === "function") {
      h.module = WebAssembly.compileStreaming(fetch(h.wasm));
      h.module.catch(function () {});
    } else {
      h.response = fetch(h.wasm);
      h.response.catch(function () {});
    }
  }
  if (sync && typeof WebSocket === "function") {
    try {
      var ws = new WebSocket(sync);
      h.sockets[sync] = ws;
      setTimeout(function () {
        if (h.sockets[sync] !== ws) return;
        delete h.sockets[sync];
        ws.close(1000);
      }, unclaimedMs);
    } catch (e) {}
  }
})(${arg(options.wasmUrl)}, ${options.compile === true}, ${arg(sync)}, ${HEAD_SOCKET_UNCLAIMED_MS});`;
}
