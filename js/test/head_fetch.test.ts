// The head start as it is by default (head.ts): the head only downloads
// the wasm; the loader compiles that response instead of fetching again.
// (A file of its own: one Go runtime per page, and head.test.ts starts one.)
import { afterAll, describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import { ConvexWasmClient } from "../src/index.js";
import { headScript } from "../src/head.js";
import { wasmBytes, convexUrl } from "./helpers.js";

const counter = makeFunctionReference<"query", { name: string }, number>("testing:counter");
const WASM_URL = "http://assets.test/app/goconvex-def456.wasm";

describe("a head start that only downloads", () => {
  const realFetch = globalThis.fetch;
  const realCompile = WebAssembly.compileStreaming;
  const realInstantiate = WebAssembly.instantiateStreaming;
  afterAll(() => {
    globalThis.fetch = realFetch;
    WebAssembly.compileStreaming = realCompile;
    WebAssembly.instantiateStreaming = realInstantiate;
    globalThis.__goconvexHead = undefined;
  });

  it("fetches in the head and compiles that response in the loader", async () => {
    const fetched: string[] = [];
    const responses: Response[] = [];
    const streamed: Response[] = [];
    let compiled = 0;
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      fetched.push(String(input));
      const r = new Response(wasmBytes() as Uint8Array<ArrayBuffer>, { headers: { "Content-Type": "application/wasm" } });
      responses.push(r);
      return r;
    }) as typeof fetch;
    WebAssembly.compileStreaming = async () => {
      compiled++;
      throw new Error("the head was told not to compile");
    };
    // (node's streaming compile takes only node's own Response: compile the
    // same bytes, recording which response the loader streamed.)
    WebAssembly.instantiateStreaming = async (source, imports) => {
      streamed.push(await source);
      return WebAssembly.instantiate(wasmBytes() as Uint8Array<ArrayBuffer>, imports);
    };
    new Function(headScript({ wasmUrl: WASM_URL }))();
    expect(fetched).toEqual([WASM_URL]);
    expect(globalThis.__goconvexHead?.response).toBeDefined();
    const client = new ConvexWasmClient(convexUrl(), { wasm: WASM_URL, logLevel: "error" });
    try {
      await expect(client.query(counter, { name: "head-fetch" })).resolves.toBeTypeOf("number");
      expect(fetched).toEqual([WASM_URL]); // the loader took the head's response
      expect(streamed).toEqual(responses);
      expect(streamed[0]).toBe(responses[0]);
      expect(compiled).toBe(0);
      expect(globalThis.__goconvexHead?.response).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
