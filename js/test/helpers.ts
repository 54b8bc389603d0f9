import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexReactClient } from "convex/react";
import { ConvexWasmClient } from "../src/index.js";

/** The URLs wasm/internal/testenv exports (make test-wasm). */
export function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the JS tests through wasm/internal/testenv (make test-wasm)`);
  }
  return v;
}

export const convexUrl = () => env("GOCONVEX_TEST_CONVEX_URL");
export const helperUrl = () => env("GOCONVEX_TEST_HELPER_URL");

let wasm: Uint8Array | undefined;

/** A client on the test deployment, over the real wasm binary. */
export function newClient(): ConvexWasmClient {
  return new ConvexWasmClient(convexUrl(), { wasm: wasmBytes(), logLevel: "error" });
}

/** A JWT the test deployment accepts (minted by testenv's issuer). */
export async function mintToken(sub: string, name: string, ttlSeconds = 600): Promise<string> {
  const r = await fetch(`${helperUrl()}/token?sub=${encodeURIComponent(sub)}&name=${encodeURIComponent(name)}&ttl=${ttlSeconds}`);
  return r.text();
}

/** The deployment's live connections and subscribed queries. */
export async function stats(): Promise<{ connections: number; subscriptions: number }> {
  const r = await fetch(`${helperUrl()}/control/stats`);
  return (await r.json()) as { connections: number; subscriptions: number };
}

/** Polls fn until it returns true (or throws after timeoutMs). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

const opened: Array<() => Promise<void>> = [];

/** A client of ours that closeClients closes. */
export function ourClient(): ConvexWasmClient {
  const c = newClient();
  opened.push(() => c.close());
  return c;
}

/** convex/react's client on the test deployment, which closeClients closes. */
export function officialClient(): ConvexReactClient {
  const c = new ConvexReactClient(convexUrl(), { skipConvexDeploymentUrlCheck: true, unsavedChangesWarning: false });
  opened.push(() => c.close());
  return c;
}

/** The wasm binary, read once (dist/goconvex.wasm, built by make wasm). */
export function wasmBytes(): Uint8Array {
  // (A path, not a URL: happy-dom replaces the URL class.)
  wasm ??= readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../dist/goconvex.wasm"));
  return wasm;
}

/**
 * A client made with `new lib.ConvexReactClient(url, options)`, the same
 * user code for ours and convex/react (ours also gets the wasm bytes),
 * which closeClients closes.
 */
export function clientOf(lib: { ConvexReactClient: new (url: string, options?: any) => any }, options: Record<string, unknown> = {}): any {
  const extra = lib.ConvexReactClient === ConvexReactClient ? {} : { wasm: wasmBytes() };
  const c = new lib.ConvexReactClient(convexUrl(), { skipConvexDeploymentUrlCheck: true, ...extra, ...options });
  opened.push(() => c.close());
  return c;
}

/** Closes the clients made since the last call and waits for the deployment to see them go (for afterEach). */
export async function closeClients(): Promise<void> {
  await Promise.all(opened.splice(0).map((close) => close()));
  await eventually(async () => (await stats()).connections === 0);
}
