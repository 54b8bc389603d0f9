// The early sync socket (loader.ts, preconnect): opened by the
// ConvexWasmClient constructor while the wasm loads, and taken over by the
// Go client, which speaks the protocol on it.
import { afterAll, describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import { ConvexWasmClient } from "../src/index.js";
import { syncUrl } from "../src/loader.js";
import { convexUrl, wasmBytes } from "./helpers.js";

const counter = makeFunctionReference<"query", { name: string }, number>("testing:counter");

describe("syncUrl", () => {
  it("is the URL the Go client dials (client/url.go, syncURL)", () => {
    expect(syncUrl("https://happy-animal-123.convex.cloud")).toBe("wss://happy-animal-123.convex.cloud/api/1.48.0/sync");
    expect(syncUrl("http://127.0.0.1:3210")).toBe("ws://127.0.0.1:3210/api/1.48.0/sync");
    expect(syncUrl("http://localhost:3210/")).toBe("ws://localhost:3210//api/1.48.0/sync");
  });
  it("is undefined where the Go client would not connect", () => {
    expect(syncUrl("http://example.com")).toBeUndefined(); // plain http beyond loopback
    expect(syncUrl("https://happy-animal-123.convex.site")).toBeUndefined();
    expect(syncUrl("ftp://x")).toBeUndefined();
    expect(syncUrl("happy-animal-123.convex.cloud")).toBeUndefined();
  });
});

describe("preconnect", () => {
  const Native = globalThis.WebSocket;
  const made: Array<{ url: string; sent: string[] }> = [];
  afterAll(() => {
    globalThis.WebSocket = Native;
  });

  it("opens one socket, which the Go client takes over", async () => {
    globalThis.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        const rec = { url: String(url), sent: [] as string[] };
        made.push(rec);
        const send = this.send.bind(this);
        this.send = (data) => {
          if (typeof data === "string") rec.sent.push(data);
          send(data);
        };
      }
    } as typeof WebSocket;
    const client = new ConvexWasmClient(convexUrl(), { wasm: wasmBytes(), logLevel: "error" });
    try {
      // The constructor opened it, before the wasm started.
      expect(made.map((m) => m.url)).toEqual([syncUrl(convexUrl())]);
      await expect(client.query(counter, { name: "preconnect" })).resolves.toBeTypeOf("number");
      expect(made).toHaveLength(1);
      expect((JSON.parse(made[0]!.sent[0]!) as { type: string }).type).toBe("Connect");
    } finally {
      await client.close();
    }
  });

  it("closes the early socket of a client closed before the wasm started", async () => {
    let early: WebSocket | undefined;
    globalThis.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        early ??= this;
      }
    } as typeof WebSocket;
    // Another deployment URL than the first test's: that one's loader state is kept.
    const client = new ConvexWasmClient(convexUrl().replace("127.0.0.1", "localhost"), { wasm: wasmBytes(), logLevel: "error" });
    expect(early).toBeDefined();
    const closed = new Promise((resolve) => early!.addEventListener("close", resolve));
    await client.close();
    await closed; // (the test's timeout if it stays open)
  });
});
