// Conformance: the official convex npm client (ConvexClient over `ws`, and
// ConvexHttpClient) against convextest. The Go program in ./server starts a
// convextest deployment with the functions these scenarios call, plus a
// control API (tokens, fault injection, counters).
//
// Run: node --test tests/conformance/   (needs `npm ci` and a Go toolchain)
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { ConvexError } from "convex/values";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const TIMEOUT = 20_000; // per scenario; none should come close

let server;
let info; // {url, control, adminKey, issuer}
let tmp;

before(
  async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "convextest-conformance-"));
    const bin = path.join(tmp, "server");
    execFileSync("go", ["build", "-o", bin, "./tests/conformance/server"], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    server = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = readline.createInterface({ input: server.stdout });
    info = await new Promise((resolve, reject) => {
      server.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
      lines.once("line", (line) => resolve(JSON.parse(line)));
    });
  },
  { timeout: 120_000 },
);

after(() => {
  if (server) {
    server.stdin.end();
    server.kill("SIGTERM");
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------

const clients = [];

// captureLogger records what the client logs instead of printing it.
function captureLogger() {
  const entries = [];
  const rec =
    (level) =>
    (...args) =>
      entries.push({ level, text: args.filter((a) => a !== "color:rgb(0, 145, 255)").join(" ").replace("%c", "") });
  return { entries, log: rec("log"), warn: rec("warn"), error: rec("error"), logVerbose: () => {} };
}

function newClient(options = {}) {
  const logger = captureLogger();
  const client = new ConvexClient(info.url, {
    webSocketConstructor: WebSocket,
    unsavedChangesWarning: false,
    logger,
    ...options,
  });
  client.logs = logger.entries;
  clients.push(client);
  return client;
}

function newHttpClient() {
  return new ConvexHttpClient(info.url, { logger: false });
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await waitFor(async () => (await stats()).connections === 0, "all connections closed");
});

async function ctl(pathname, body) {
  const res = await fetch(info.control + pathname, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${pathname}: ${await res.clone().text()}`);
  return res.json();
}

const stats = (functions = []) => ctl(`/stats?functions=${functions.join(",")}`);
const token = async (opts) => (await ctl("/token", opts)).token;
const channel = () => `ch-${Math.random().toString(36).slice(2)}`;

// waitFor polls cond (sync or async) until it is truthy.
async function waitFor(cond, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// watch subscribes and records every value (and error).
function watch(client, name, args) {
  const w = { values: [], errors: [] };
  w.unsubscribe = client.onUpdate(
    name,
    args,
    (v) => w.values.push(v),
    (e) => w.errors.push(e),
  );
  w.last = () => w.values.at(-1);
  w.until = (pred, what) => waitFor(() => w.values.length > 0 && pred(w.last()), what ?? `${name} value`);
  return w;
}

// same compares Convex values exactly: -0 vs 0, NaN, bigint, ArrayBuffer.
function same(a, b, at = "value") {
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    assert.ok(a instanceof ArrayBuffer && b instanceof ArrayBuffer, `${at}: ArrayBuffer expected`);
    assert.deepEqual([...new Uint8Array(a)], [...new Uint8Array(b)], at);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b), `${at}: array expected`);
    assert.equal(a.length, b.length, `${at}: length`);
    a.forEach((e, i) => same(e, b[i], `${at}[${i}]`));
  } else if (a !== null && typeof a === "object") {
    assert.ok(b !== null && typeof b === "object", `${at}: object expected`);
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${at}: keys`);
    for (const k of Object.keys(a)) same(a[k], b[k], `${at}.${k}`);
  } else {
    assert.ok(Object.is(a, b), `${at}: ${String(a)} (${typeof a}) !== ${String(b)} (${typeof b})`);
  }
}

// ---- scenarios -------------------------------------------------------------

test("subscribe and receive updates", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const w = watch(c, "messages:list", { channel: ch });
  await w.until((v) => Array.isArray(v) && v.length === 0, "the initial empty list");
  await newHttpClient().mutation("messages:send", { channel: ch, body: "hello" });
  await w.until((v) => v.length === 1, "the new message");
  const [doc] = w.last();
  assert.equal(doc.body, "hello");
  assert.equal(doc.channel, ch);
  assert.equal(typeof doc._id, "string");
  assert.equal(typeof doc._creationTime, "number");
  assert.deepEqual(w.errors, []);
});

test("a mutation is visible to subscribers before its promise resolves", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const events = [];
  c.onUpdate("messages:list", { channel: ch }, (v) => events.push(["update", v.length]));
  await waitFor(() => events.length > 0, "the initial value");
  const id = await c.mutation("messages:send", { channel: ch, body: "x" });
  events.push(["resolved"]);
  const update = events.findIndex((e) => e[0] === "update" && e[1] === 1);
  const resolved = events.findIndex((e) => e[0] === "resolved");
  assert.ok(update >= 0 && update < resolved, `events: ${JSON.stringify(events)}`);
  assert.equal(typeof id, "string");
  // Its log line reached the client's logger in [LEVEL] form.
  const line = c.logs.find((e) => e.text.includes("[CONVEX M(messages:send)] [LOG]"));
  assert.ok(line, JSON.stringify(c.logs));
  assert.match(line.text, /'sending' 'x'/);
  assert.ok(!c.logs.some((e) => e.text.includes("Could not parse")), JSON.stringify(c.logs));
});

test("a failed mutation carries ConvexError data", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  await assert.rejects(c.mutation("messages:fail", {}), (e) => {
    assert.ok(e instanceof ConvexError, `${e}`);
    assert.equal(e.data.code, "E_FAIL");
    assert.equal(e.data.n, 42n);
    assert.deepEqual(e.data.detail, [1.5, "x", null]);
    assert.match(
      e.message,
      /^\[CONVEX M\(messages:fail\)\] \[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: \{"code":"E_FAIL","detail":\[1.5,"x",null\],"n":"42n"\}/,
    );
    return true;
  });
  await assert.rejects(c.mutation("messages:failPlain", {}), (e) => {
    assert.ok(!(e instanceof ConvexError));
    assert.match(e.message, /Server Error\nUncaught Error: plain failure/);
    return true;
  });
  assert.ok(c.logs.some((e) => e.text.includes("[CONVEX M(messages:fail)] [ERROR]") && e.text.includes("'failing on purpose'")));
});

test("actions: a plain one, and one calling a query and a mutation", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  assert.equal(await c.action("actions:hello", { name: "go" }), "hello, go");
  const ch = channel();
  const w = watch(c, "messages:list", { channel: ch });
  await w.until((v) => v.length === 0);
  const res = await c.action("actions:summarize", { channel: ch });
  assert.equal(res.count, 0n);
  assert.equal(typeof res.inserted, "string");
  await w.until((v) => v.length === 1 && v[0].body === "summary of 0" && v[0]._id === res.inserted, "the action's insert");
  const again = await c.action("actions:summarize", { channel: ch });
  assert.equal(again.count, 1n);
});

test("QueryFailed reaches onUpdate's onError with the server's message", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const w = watch(c, "queries:fail", {});
  await waitFor(() => w.errors.length > 0, "the query error");
  const [e] = w.errors;
  assert.ok(e instanceof ConvexError);
  assert.match(e.message, /^\[CONVEX Q\(queries:fail\)\] \[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: /);
  assert.deepEqual(e.data, { kind: "query", n: -7n });
  assert.deepEqual(w.values, []);
  await assert.rejects(c.query("nope:nope", {}), /Could not find public function for 'nope:nope'\./);
  await assert.rejects(c.query("queries:fail", {}), ConvexError);
});

test("unsubscribing removes the query on the server (QueryRemoved)", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const w = watch(c, "messages:list", { channel: ch });
  await w.until((v) => v.length === 0);
  await waitFor(async () => (await stats()).subscriptions === 1, "one subscription on the server");
  const removed = (await stats()).queryRemoved;
  w.unsubscribe();
  await waitFor(async () => {
    const s = await stats();
    return s.subscriptions === 0 && s.queryRemoved === removed + 1;
  }, "the query removed");
  // The client's query set still works afterwards.
  assert.deepEqual(await c.query("messages:list", { channel: ch }), []);
});

test("a token is accepted", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const changes = [];
  const fetches = [];
  c.setAuth(
    async ({ forceRefreshToken }) => {
      fetches.push(forceRefreshToken);
      return token({ sub: "alice", claims: { name: "Alice" } });
    },
    (ok) => changes.push(ok),
  );
  const w = watch(c, "users:viewer", {});
  await waitFor(() => changes.includes(true), "onChange(true)");
  await w.until((v) => v?.subject === "alice", "the identity");
  assert.deepEqual(w.last(), {
    subject: "alice",
    tokenIdentifier: `${info.issuer}|alice`,
    issuer: info.issuer,
    name: "Alice",
  });
  assert.ok(!changes.includes(false));
  assert.equal(fetches[0], false, "the first fetch may use a cached token");
  await waitFor(() => fetches.includes(true), "the immediate forced refresh");
  const id = await c.mutation("messages:send", { channel: channel(), body: "signed" });
  assert.equal(typeof id, "string");
});

test("a token is rejected", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const changes = [];
  const authErrors = (await stats()).authErrors;
  c.setAuth(
    () => token({ sub: "mallory", audience: "someone-else" }),
    (ok) => changes.push(ok),
  );
  await waitFor(() => changes.includes(false), "onChange(false)");
  assert.ok(!changes.includes(true));
  assert.ok((await stats()).authErrors > authErrors, "the server sent AuthError");
  // The client carries on signed out.
  assert.equal(await c.query("users:viewer", {}), null);
});

test("short-lived tokens are refreshed before they expire; the session outlives them", { timeout: 40_000 }, async () => {
  const c = newClient();
  const changes = [];
  const exps = [];
  c.setAuth(
    async () => {
      const t = await token({ sub: "frank", lifetimeSec: 12 });
      exps.push(JSON.parse(Buffer.from(t.split(".")[1], "base64url")).exp);
      return t;
    },
    (ok) => changes.push(ok),
  );
  const ch = channel();
  const viewer = watch(c, "users:viewer", {});
  const list = watch(c, "messages:list", { channel: ch });
  await viewer.until((v) => v?.subject === "frank");
  await list.until((v) => v.length === 0);
  const authErrors = (await stats()).authErrors;
  // The client refreshes 10 s before exp (every ~2 s here). Wait until the
  // first token has expired on the deployment's clock.
  await waitFor(() => Date.now() / 1000 > exps[0] + 1, "the first token to expire", 20_000);
  const id = await c.mutation("messages:send", { channel: ch, body: "still signed in" });
  await list.until((v) => v.length === 1);
  assert.equal(list.last()[0]._id, id);
  assert.equal(list.last()[0].author, "frank");
  assert.ok(exps.length >= 4, `tokens fetched: ${exps.length}`);
  assert.ok(changes.filter(Boolean).length >= 3, `onChange calls: ${changes}`);
  assert.ok(!changes.includes(false));
  assert.equal((await stats()).authErrors, authErrors, "no token was rejected");
  assert.equal(viewer.last()?.subject, "frank");
});

test("a token expiring mid-session is refetched and the subscription keeps working", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const changes = [];
  const forced = [];
  c.setAuth(
    async ({ forceRefreshToken }) => {
      forced.push(forceRefreshToken);
      return token({ sub: "erin", lifetimeSec: 600 });
    },
    (ok) => changes.push(ok),
  );
  const ch = channel();
  const viewer = watch(c, "users:viewer", {});
  const list = watch(c, "messages:list", { channel: ch });
  await viewer.until((v) => v?.subject === "erin");
  await waitFor(() => forced.includes(true) && changes.filter(Boolean).length >= 2, "the refreshed token confirmed");
  await list.until((v) => v.length === 0);
  const fetchesBefore = forced.length;
  const authErrors = (await stats()).authErrors;

  // Move the deployment's clock past the token's exp: the next function
  // call finds the session expired (AuthError, authUpdateAttempted false).
  await ctl("/clock", { advanceSec: 1200 });
  let id;
  try {
    id = await c.mutation("messages:send", { channel: ch, body: "after expiry" });
  } finally {
    await ctl("/clock", { advanceSec: -1200 });
  }
  await list.until((v) => v.length === 1, "the message sent after expiry");
  assert.equal(list.last()[0]._id, id);
  assert.equal(list.last()[0].author, "erin", "the mutation ran with the refreshed identity");
  assert.ok((await stats()).authErrors > authErrors, "the server reported the expiry");
  assert.ok(forced.slice(fetchesBefore).includes(true), `fetches: ${forced}`);
  assert.equal(viewer.last()?.subject, "erin");
  assert.ok(!changes.includes(false), `changes: ${changes}`);
});

test("a reconnect resends an unconfirmed mutation, applied exactly once", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const list = watch(c, "messages:list", { channel: ch });
  await list.until((v) => v.length === 0);
  await waitFor(async () => (await stats()).connections === 1, "only this client connected");
  const before = (await stats(["once:send"])).executions["once:send"];
  const mutationFrames = (await stats()).mutationFrames;

  // The server sends the MutationResponse, then drops the socket before
  // the Transition that would confirm it.
  await ctl("/dropAfterFrames", { n: 1 });
  const id = await c.mutation("once:send", { channel: ch, body: "exactly once" });
  await list.until((v) => v.length === 1, "the message");
  // The client resolves the mutation as soon as the new socket's first
  // Transition reaches its commit ts; the resend's answer may come later.
  const s = await waitFor(async () => {
    const s = await stats(["once:send"]);
    return s.mutationFrames >= mutationFrames + 2 && s;
  }, "the server's answers to the original and the resent mutation");
  assert.equal(s.executions["once:send"] - before, 1, "the resent mutation did not run again");
  assert.equal(list.last()[0]._id, id);
  assert.ok(c.connectionState().connectionCount >= 2, "the client reconnected");
});

test("a result above the chunk size arrives as TransitionChunks", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const { chunkFrames, chunkSize } = await stats();
  const n = 10 * chunkSize;
  const v = await c.query("queries:big", { n });
  assert.equal(v.length, n);
  assert.equal(v, "x".repeat(n));
  const after = (await stats()).chunkFrames;
  assert.ok(after - chunkFrames >= 10, `chunk frames sent: ${after - chunkFrames}`);
});

test("ConvexHttpClient: query, mutation, action, ConvexError, auth", { timeout: TIMEOUT }, async () => {
  const h = newHttpClient();
  const ch = channel();
  const id = await h.mutation("messages:send", { channel: ch, body: "via http" });
  assert.equal(typeof id, "string");
  const docs = await h.query("messages:list", { channel: ch });
  assert.deepEqual(
    docs.map((d) => [d._id, d.body]),
    [[id, "via http"]],
  );
  assert.equal(await h.action("actions:hello", { name: "http" }), "hello, http");
  await assert.rejects(h.mutation("messages:fail", {}), (e) => {
    assert.ok(e instanceof ConvexError);
    assert.equal(e.data.n, 42n);
    assert.match(e.message, /^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: /);
    return true;
  });
  await assert.rejects(h.query("queries:fail", {}), (e) => e instanceof ConvexError && e.data.n === -7n);
  await assert.rejects(h.mutation("messages:failPlain", {}), /Uncaught Error: plain failure/);

  assert.equal(await h.query("users:viewer", {}), null);
  h.setAuth(await token({ sub: "henry" }));
  assert.equal((await h.query("users:viewer", {})).subject, "henry");
  const signedId = await h.mutation("messages:send", { channel: ch, body: "signed" });
  const signed = (await h.query("messages:list", { channel: ch })).find((d) => d._id === signedId);
  assert.equal(signed.author, "henry");
  h.setAuth(await token({ sub: "henry", kid: "unknown-kid" }));
  await assert.rejects(h.query("users:viewer", {}), /InvalidAuthHeader/);
  h.setAdminAuth(info.adminKey, { subject: "ivy", issuer: "https://admin.test" });
  assert.deepEqual(await h.query("users:viewer", {}), {
    subject: "ivy",
    tokenIdentifier: "https://admin.test|ivy",
    issuer: "https://admin.test",
    name: "",
  });
});

test("bigint, bytes and special floats round-trip through args and results", { timeout: TIMEOUT }, async () => {
  const bytes = new Uint8Array([0, 1, 2, 255]).buffer;
  const payload = {
    big: [0n, 1n, -1n, 256n, 2n ** 63n - 1n, -(2n ** 63n)],
    bytes,
    empty: new ArrayBuffer(0),
    floats: [NaN, Infinity, -Infinity, -0, 0, 1.5, 1e300, 5e-324, -1e-7, 2 ** 53],
    nested: { deep: [{ x: 7n, y: new Uint8Array([9]).buffer }] },
    s: "héllo✓ \u0000 \"quoted\"",
    n: null,
    t: true,
    _underscore: "allowed in values",
  };
  const c = newClient();
  const h = newHttpClient();
  const calls = {
    "ConvexClient query": () => c.query("echo:query", payload),
    "ConvexClient mutation": () => c.mutation("echo:mutation", payload),
    "ConvexClient action": () => c.action("echo:action", payload),
    "ConvexHttpClient query": () => h.query("echo:query", payload),
    "ConvexHttpClient mutation": () => h.mutation("echo:mutation", payload),
    "ConvexHttpClient action": () => h.action("echo:action", payload),
  };
  for (const [name, call] of Object.entries(calls)) {
    same(await call(), payload, name);
  }
  // Subscriptions too.
  const w = watch(c, "echo:query", { v: -0, b: 5n });
  await waitFor(() => w.values.length > 0, "the echo");
  same(w.last(), { v: -0, b: 5n }, "subscription");
});

test("two clients see each other's writes", { timeout: TIMEOUT }, async () => {
  const a = newClient();
  const b = newClient();
  const ch = channel();
  const wa = watch(a, "messages:list", { channel: ch });
  const wb = watch(b, "messages:list", { channel: ch });
  await wa.until((v) => v.length === 0);
  await wb.until((v) => v.length === 0);
  await a.mutation("messages:send", { channel: ch, body: "from a" });
  await wb.until((v) => v.length === 1 && v[0].body === "from a", "b sees a's write");
  await b.mutation("messages:send", { channel: ch, body: "from b" });
  await wa.until((v) => v.length === 2 && v[1].body === "from b", "a sees b's write");
});

test("a client's mutations apply in order", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => c.mutation("messages:send", { channel: ch, body: `m${i}` })));
  const docs = await c.query("messages:list", { channel: ch });
  assert.deepEqual(
    docs.map((d) => d.body),
    ids.map((_, i) => `m${i}`),
  );
  assert.deepEqual(
    docs.map((d) => d._id),
    ids,
  );
});

test("a server restart keeps the data and the client reconnects", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const ch = channel();
  const list = watch(c, "messages:list", { channel: ch });
  await list.until((v) => v.length === 0);
  await c.mutation("messages:send", { channel: ch, body: "before restart" });
  await ctl("/restart", {});
  const id = await c.mutation("messages:send", { channel: ch, body: "after restart" });
  await list.until((v) => v.length === 2, "both messages");
  assert.deepEqual(
    list.last().map((d) => d.body),
    ["before restart", "after restart"],
  );
  assert.equal(list.last()[1]._id, id);
  assert.ok(c.connectionState().connectionCount >= 2, "the client reconnected");
});

test("admin auth acting as a user (setAdminAuth)", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  c.setAdminAuth(info.adminKey, { subject: "ivy", issuer: "https://admin.test", name: "Ivy" });
  const w = watch(c, "users:viewer", {});
  await w.until((v) => v?.subject === "ivy", "the acting-as identity");
  assert.deepEqual(w.last(), { subject: "ivy", tokenIdentifier: "https://admin.test|ivy", issuer: "https://admin.test", name: "Ivy" });
});

test("a browser-style upgrade with a foreign Origin is accepted", { timeout: TIMEOUT }, async () => {
  class BrowserLikeWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { origin: "http://localhost:5173" });
    }
  }
  const c = newClient({ webSocketConstructor: BrowserLikeWebSocket });
  assert.deepEqual(await c.query("messages:list", { channel: channel() }), []);
});

// The backend's sync worker follows every response with a Transition
// (crates/sync/src/worker.rs); the official client copes with these
// Transitions that carry nothing new.
test("a Transition follows an action response and a failed mutation", { timeout: TIMEOUT }, async () => {
  const c = newClient();
  const before = await stats();
  assert.equal(await c.action("actions:hello", { name: "t" }), "hello, t");
  await waitFor(async () => (await stats()).transitionsAfterAction > before.transitionsAfterAction, "a Transition after the ActionResponse");
  await assert.rejects(c.mutation("messages:failPlain", {}));
  await waitFor(
    async () => (await stats()).transitionsAfterFailedMutation > before.transitionsAfterFailedMutation,
    "a Transition after the failed MutationResponse",
  );
  assert.deepEqual(await c.query("messages:list", { channel: channel() }), [], "the client is still in sync");
});

// Last: convextest parses client frames as strictly as the backend
// (crates/convex/sync_types/src/types/json.rs); not one frame the official
// client sent in this file was refused.
test("no frame the official client sent was refused by the strict decoder", { timeout: TIMEOUT }, async () => {
  assert.equal((await stats()).refusedFrames, 0);
});
