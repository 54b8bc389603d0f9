// Cross-test of the iron "Fe26.2" seal format: internal/iron in
// Go against iron-session 8.0.4 (sealData/unsealData, what authkit-nextjs
// uses for the wos-session cookie) and iron-webcrypto 1.2.1 in node. A
// seal made on one side must open on the other; tampered, expired and
// wrong-password seals must be refused on both.
//
// The Go side is tests/iron/ironcli, built once here, spoken to with one
// JSON request per line.
//
// Run: node --test tests/iron/   (needs `npm ci` and a Go toolchain)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import * as Iron from "iron-webcrypto";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const PASSWORD = "a-cookie-password-of-at-least-32-characters!";
const OTHER = "another-password-that-is-32-chars-long!!";

// What authkit-nextjs seals in wos-session (camelCase, user as the node SDK's).
const SESSION = {
  accessToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzAxIn0.c2ln",
  refreshToken: "rt_01JABCDEFGHJKMNPQRSTVWXYZ",
  user: {
    object: "user",
    id: "user_01DEM0USER0000000000000000",
    email: "demo@example.com",
    emailVerified: true,
    firstName: "Démo ✓",
    lastName: "<User> & \"quotes\"",
    metadata: { plan: "pro" },
  },
  authenticationMethod: "Password",
};

let tmp, proc, lines, pending;

before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "goconvex-iron-"));
  const bin = path.join(tmp, "ironcli");
  execFileSync("go", ["build", "-o", bin, "./tests/iron/ironcli"], { cwd: repoRoot, stdio: "inherit" });
  proc = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
  lines = readline.createInterface({ input: proc.stdout });
  pending = [];
  lines.on("line", (l) => pending.shift()?.(JSON.parse(l)));
});

after(() => {
  proc?.stdin.end();
  proc?.kill();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// go sends one request to the Go side (requests are answered in order).
function go(req) {
  return new Promise((resolve) => {
    pending.push(resolve);
    proc.stdin.write(JSON.stringify(req) + "\n");
  });
}

async function goSeal(data, { password = PASSWORD, passwords, ttlMs = 0, nowMs = 0 } = {}) {
  const a = await go({ op: "seal", password, passwords, data, ttlMs, nowMs });
  assert.equal(a.error, undefined, `Go seal failed: ${a.error}`);
  return a.sealed;
}

function goUnseal(sealed, { password = PASSWORD, passwords, nowMs = 0 } = {}) {
  return go({ op: "unseal", password, passwords, sealed, nowMs });
}

const FORMAT = /^Fe26\.2\*1\*[0-9a-f]{64}\*[A-Za-z0-9_-]{22}\*[A-Za-z0-9_-]+\*\d*\*[0-9a-f]{64}\*[A-Za-z0-9_-]{43}~2$/;

describe("Go seals, node unseals", () => {
  test("iron-session unsealData opens a session cookie sealed in Go (ttl 0)", async () => {
    const sealed = await goSeal(SESSION);
    assert.match(sealed, FORMAT);
    assert.equal(sealed.split("*")[5], "", "ttl 0: empty expiration");
    assert.deepEqual(await unsealData(sealed, { password: PASSWORD }), SESSION);
  });

  test("iron-webcrypto unseal opens it too (without the ~2 suffix, password map {1: …})", async () => {
    const sealed = await goSeal(SESSION);
    const data = await Iron.unseal(webcrypto, sealed.slice(0, -2), { 1: PASSWORD }, Iron.defaults);
    assert.deepEqual(data, SESSION);
  });

  test("a seal with a ttl carries the expiry in ms and opens before it", async () => {
    const before = Date.now();
    const sealed = await goSeal({ nonce: "n", codeVerifier: "v".repeat(43), returnPathname: "/x?y=1" }, { ttlMs: 600_000 });
    const exp = Number(sealed.split("*")[5]);
    assert.ok(exp >= before + 600_000 && exp <= Date.now() + 600_000, `exp ${exp}`);
    assert.deepEqual(await unsealData(sealed, { password: PASSWORD }), { nonce: "n", codeVerifier: "v".repeat(43), returnPathname: "/x?y=1" });
  });

  test("an expired Go seal is {} for iron-session", async () => {
    const sealed = await goSeal({ a: 1 }, { ttlMs: 1000, nowMs: Date.now() - 120_000 });
    assert.deepEqual(await unsealData(sealed, { password: PASSWORD }), {});
  });

  test("a wrong password or a tampered Go seal is {} for iron-session", async () => {
    const sealed = await goSeal(SESSION);
    assert.deepEqual(await unsealData(sealed, { password: OTHER }), {});
    const f = sealed.split("*");
    f[4] = f[4].slice(0, -2) + (f[4].endsWith("AA") ? "BA" : "AA");
    assert.deepEqual(await unsealData(f.join("*"), { password: PASSWORD }), {});
  });

  test("password rotation: Go seals with the highest id, iron-session finds it in its map", async () => {
    const sealed = await goSeal(SESSION, { passwords: { 1: OTHER, 2: PASSWORD } });
    assert.equal(sealed.split("*")[1], "2");
    assert.deepEqual(await unsealData(sealed, { password: { 1: OTHER, 2: PASSWORD } }), SESSION);
    assert.deepEqual(await unsealData(sealed, { password: PASSWORD }), {}, "a string password is id 1 only");
  });
});

describe("node seals, Go unseals", () => {
  test("a session cookie sealed by iron-session sealData (ttl 0) opens in Go", async () => {
    const sealed = await sealData(SESSION, { password: PASSWORD, ttl: 0 });
    const a = await goUnseal(sealed);
    assert.equal(a.error, undefined);
    assert.deepEqual(a.data, SESSION);
  });

  test("iron-session's default ttl (14 days) and an explicit one open in Go", async () => {
    for (const ttl of [undefined, 600]) {
      const sealed = await sealData({ k: [1, 2, 3], s: "é" }, ttl === undefined ? { password: PASSWORD } : { password: PASSWORD, ttl });
      const a = await goUnseal(sealed);
      assert.deepEqual(a.data, { k: [1, 2, 3], s: "é" });
    }
  });

  test("expiry: Go refuses a node seal past exp + 60 s skew, accepts it within", async () => {
    const sealed = await sealData({ a: 1 }, { password: PASSWORD, ttl: 10 });
    const exp = Number(sealed.split("*")[5]);
    assert.deepEqual((await goUnseal(sealed, { nowMs: exp + 59_000 })).data, { a: 1 });
    assert.match((await goUnseal(sealed, { nowMs: exp + 60_000 })).error, /expired/);
  });

  test("Go refuses a wrong password, a tampered MAC, body or expiry, and bad shapes", async () => {
    const sealed = await sealData(SESSION, { password: PASSWORD, ttl: 0 });
    assert.match((await goUnseal(sealed, { password: OTHER })).error, /bad hmac/);
    const f = sealed.split("*");
    const tampered = (i, v) => {
      const g = [...f];
      g[i] = v;
      return g.join("*");
    };
    // Change the body's first character (to one it is not: a no-op tamper would pass).
    const other = f[4][0] === "A" ? "B" : "A";
    assert.match((await goUnseal(tampered(4, other + f[4].slice(1)))).error, /bad hmac|invalid seal/);
    assert.match((await goUnseal(tampered(5, String(Date.now() + 1e9)))).error, /bad hmac/);
    assert.match((await goUnseal(tampered(0, "Fe26.1"))).error, /malformed/);
    assert.match((await goUnseal(f.slice(0, 7).join("*"))).error, /malformed/);
    assert.match((await goUnseal(tampered(1, "7"))).error, /cannot find password/);
  });

  test("rotation: a node seal under id 2 opens with Go's map, not with a string password", async () => {
    const sealed = await sealData(SESSION, { password: { 1: OTHER, 2: PASSWORD }, ttl: 0 });
    assert.deepEqual((await goUnseal(sealed, { passwords: { 1: OTHER, 2: PASSWORD } })).data, SESSION);
    assert.match((await goUnseal(sealed)).error, /cannot find password/);
  });

  test("a v6 seal (no ~2) yields its persistent field in both", async () => {
    const v6 = await Iron.seal(webcrypto, { persistent: { a: 1 } }, { id: "1", secret: PASSWORD }, Iron.defaults);
    assert.deepEqual(await unsealData(v6, { password: PASSWORD }), { a: 1 });
    assert.deepEqual((await goUnseal(v6)).data, { a: 1 });
  });
});
