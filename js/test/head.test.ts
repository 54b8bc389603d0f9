// The head start (head.ts): what an app's <head> starts before its script
// runs, and the loader taking both over: the compiled module and the sync
// socket. And the Vite plugin that writes it into index.html (vite.ts).
import { afterAll, describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import { ConvexWasmClient } from "../src/index.js";
import { headScript } from "../src/head.js";
import { syncUrl } from "../src/sync_url.js";
import { goconvexHead } from "../src/vite.js";
import { convexUrl, wasmBytes } from "./helpers.js";

const counter = makeFunctionReference<"query", { name: string }, number>("testing:counter");
const WASM_URL = "http://assets.test/app/goconvex-abc123.wasm";

/** Runs a head script as the browser would, with what it calls recorded. */
function runHead(text: string) {
  const calls = { fetch: [] as string[], compile: 0, sockets: [] as string[] };
  const realFetch = globalThis.fetch;
  const realCompile = WebAssembly.compileStreaming;
  const Native = globalThis.WebSocket;
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    calls.fetch.push(String(input));
    return new Response(wasmBytes() as Uint8Array<ArrayBuffer>, { headers: { "Content-Type": "application/wasm" } });
  }) as typeof fetch;
  WebAssembly.compileStreaming = async (source) => {
    calls.compile++;
    await source;
    return WebAssembly.compile(wasmBytes() as Uint8Array<ArrayBuffer>);
  };
  globalThis.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      calls.sockets.push(String(url));
    }
  } as typeof WebSocket;
  new Function(text)();
  const restore = () => {
    globalThis.fetch = realFetch;
    WebAssembly.compileStreaming = realCompile;
    globalThis.WebSocket = Native;
  };
  return { calls, restore };
}

describe("headScript", () => {
  it("is plain script text with no way out of its <script> element", () => {
    const text = headScript({ wasmUrl: "/x</script><script>alert(1)//.wasm", deploymentUrl: "https://a.convex.cloud" });
    expect(text).not.toMatch(/<\//);
    expect(text).toContain(JSON.stringify(syncUrl("https://a.convex.cloud")));
  });
  it("opens no socket to a deployment the Go client would not connect to", () => {
    expect(headScript({ deploymentUrl: "http://example.com" })).toMatch(/\}\)\(null, false, null, \d+\);$/);
  });
});

describe("the loader takes over the head start", () => {
  afterAll(() => {
    globalThis.__goconvexHead = undefined;
  });

  it("compiles once and connects once, from the head (compile: true)", async () => {
    const { calls, restore } = runHead(headScript({ wasmUrl: WASM_URL, deploymentUrl: convexUrl(), compile: true }));
    // Started before any client exists.
    expect(calls).toEqual({ fetch: [WASM_URL], compile: 1, sockets: [syncUrl(convexUrl())] });
    const client = new ConvexWasmClient(convexUrl(), { wasm: WASM_URL, logLevel: "error" });
    try {
      await expect(client.query(counter, { name: "head-start" })).resolves.toBeTypeOf("number");
      // The loader fetched and compiled nothing more, and the Go client
      // spoke on the head's socket instead of dialling its own.
      expect(calls).toEqual({ fetch: [WASM_URL], compile: 1, sockets: [syncUrl(convexUrl())] });
      expect(globalThis.__goconvexHead?.sockets).toEqual({});
    } finally {
      await client.close();
      restore();
    }
  });
});

describe("goconvexHead (Vite)", () => {
  type Handler = (html: string, ctx: { bundle?: Record<string, unknown> }) => unknown;
  function setUp(env: Record<string, string>, base = "/app/", options: { compile?: boolean } = {}) {
    const plugin = goconvexHead(options);
    (plugin.configResolved as (c: unknown) => void)({ base, env });
    const hook = plugin.transformIndexHtml as { order: string; handler: Handler };
    expect(hook.order).toBe("post");
    return hook.handler;
  }
  const bundle = {
    "assets/index-1.js": { type: "chunk", fileName: "assets/index-1.js" },
    "assets/goconvex-abc.wasm": { type: "asset", fileName: "assets/goconvex-abc.wasm", names: ["goconvex.wasm"] },
  };

  it("starts the emitted wasm and VITE_CONVEX_URL's socket from the head", () => {
    const tags = setUp({ VITE_CONVEX_URL: " https://happy-animal-123.convex.cloud " })("", { bundle }) as Array<{
      tag: string;
      children: string;
      injectTo: string;
    }>;
    expect(tags).toHaveLength(1);
    expect(tags[0]!.tag).toBe("script");
    expect(tags[0]!.injectTo).toBe("head-prepend");
    expect(tags[0]!.children).toContain('"/app/assets/goconvex-abc.wasm"');
    expect(tags[0]!.children).toContain('"wss://happy-animal-123.convex.cloud/api/1.48.0/sync"');
  });
  it("downloads only, unless told to compile", () => {
    const script = (options: { compile?: boolean }) =>
      (setUp({}, "/", options)("", { bundle }) as Array<{ children: string }>)[0]!.children;
    expect(script({})).toContain('("/assets/goconvex-abc.wasm", false, null,');
    expect(script({ compile: true })).toContain('("/assets/goconvex-abc.wasm", true, null,');
  });
  it("adds nothing when there is neither a wasm asset nor a deployment (the dev server, no env)", () => {
    expect(setUp({})("", {})).toBeUndefined();
  });
});
