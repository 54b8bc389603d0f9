// Browser e2e of the server mode of the example (examples/server): a Go
// server keeps the AuthKit session in an HttpOnly iron cookie
// (authkit/middleware) and serves the built Vite example, whose wasm Convex
// client gets its tokens from the server's /auth/token. Sign in through the
// issuer's login page, chat, a protected server page, sign out; the app
// shell stays public throughout.
//
// Environment: EXAMPLE_SERVER, a built ./examples/server binary (make
// test-e2e builds bin/example-server); without it the test builds one.
// APP_DIR and CHROMIUM as in harness.mjs.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ARTIFACTS, ROOT, T, launchBrowser, nonce, openApp, send, signIn, waitForMessage } from "./harness.mjs";

const APP_DIR = resolve(process.env.APP_DIR ?? join(ROOT, "examples", "vite", "dist"));

function serverBinary(dir) {
  if (process.env.EXAMPLE_SERVER) {
    return resolve(ROOT, process.env.EXAMPLE_SERVER);
  }
  const bin = join(dir, "example-server");
  execFileSync("go", ["build", "-o", bin, "./examples/server"], { cwd: ROOT, stdio: "inherit" });
  return bin;
}

/** Starts examples/server -dev on a free port; resolves with its URLs. */
async function startServer(name) {
  if (!existsSync(join(APP_DIR, "index.html"))) {
    throw new Error(`${APP_DIR}/index.html is missing: build the example first (make example)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "goconvex-e2e-server-"));
  const infoFile = join(dir, "info.json");
  const logPath = join(ARTIFACTS, `server-${name}.log`);
  const log = createWriteStream(logPath);
  const proc = spawn(serverBinary(dir), ["-dev", "-addr", "127.0.0.1:0", "-app-dir", APP_DIR, "-info-file", infoFile, "-debug"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  let exited = null;
  proc.on("exit", (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + T.page;
  while (!existsSync(infoFile)) {
    if (exited !== null) throw new Error(`examples/server exited (${JSON.stringify(exited)}); see ${logPath}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`examples/server did not start; see ${logPath}`);
    }
    await sleep(50);
  }
  const info = JSON.parse(readFileSync(infoFile, "utf8"));
  return {
    ...info,
    logPath,
    async stop() {
      if (exited === null) {
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
        await new Promise((r) => (exited === null ? proc.once("exit", r) : r()));
        clearTimeout(t);
      }
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("the example in server mode (examples/server)", { timeout: 180_000 }, () => {
  let server, browser, demo;

  before(async () => {
    server = await startServer("chat");
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const scenario = (name, fn) =>
    it(name, { timeout: 60_000 }, async () => {
      try {
        await fn();
      } catch (e) {
        await demo?.screenshot(`server-failure-${name.replace(/\W+/g, "-").slice(0, 40)}`).catch(() => {});
        throw e;
      }
      if (demo) {
        const problems = [...demo.problems];
        demo.problems.length = 0;
        assert.deepEqual(problems, [], "the page reported problems");
      }
    });

  scenario("signed out: the app shell is public, a protected page sends you to sign in", async () => {
    demo = await openApp(browser, server, "demo");
    await demo.page.getByTestId("signed-out").waitFor();
    const config = await demo.page.evaluate(() => fetch("/config.json").then((r) => r.json()));
    assert.equal(config.authMode, "server");
    const token = await demo.page.evaluate(() => fetch("/auth/token").then((r) => r.status));
    assert.equal(token, 401);
    demo.problems.length = 0; // that 401 was asked for

    await demo.page.goto(server.appUrl + "/me");
    await demo.page.waitForURL(/\/user_management\/authorize\?/);
    await demo.page.goto(server.appUrl);
    await demo.page.getByTestId("signed-out").waitFor();
    await demo.screenshot("server-01-signed-out");
  });

  scenario("signs in through the login page; the session lives in an HttpOnly cookie", async () => {
    await signIn(demo, "demo@example.com");
    assert.equal(await demo.page.getByTestId("viewer-name").textContent(), "Demo User");
    assert.equal(new URL(demo.page.url()).pathname, "/");
    assert.equal(new URL(demo.page.url()).search, "");

    const cookies = await demo.context.cookies(server.appUrl);
    const session = cookies.find((c) => c.name === "wos-session");
    assert.ok(session, JSON.stringify(cookies.map((c) => c.name)));
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Lax");
    assert.match(session.value, /^Fe26\.2\*1\*/);
    assert.ok(!cookies.some((c) => c.name.startsWith("wos-auth-verifier")), "PKCE cookie deleted");
    const page = await demo.page.evaluate(() => ({
      cookie: document.cookie,
      storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    }));
    assert.ok(!page.cookie.includes("wos-session"), "not readable from script");
    assert.ok(!/refresh/i.test(page.storage), `no refresh token in web storage: ${page.storage}`);

    const tok = await demo.page.evaluate(() => fetch("/auth/token").then((r) => r.json()));
    assert.deepEqual(Object.keys(tok), ["accessToken"]);
    assert.equal(tok.accessToken.split(".").length, 3);
    await demo.screenshot("server-02-signed-in");
  });

  scenario("sends a message and sees it; a forced token refresh keeps it working", async () => {
    const hello = nonce("Hello from server mode.");
    await send(demo, hello);
    await waitForMessage(demo, hello, { author: "Demo User" });

    const [a, b] = await demo.page.evaluate(async () => {
      const a = await fetch("/auth/token").then((r) => r.json());
      const b = await fetch("/auth/token?force=1").then((r) => r.json());
      return [a.accessToken, b.accessToken];
    });
    assert.notEqual(a, b, "force=1 refreshed the token");
    const again = nonce("Still here after a refresh.");
    await send(demo, again);
    await waitForMessage(demo, again);
  });

  scenario("the protected server page knows the user", async () => {
    await demo.page.goto(server.appUrl + "/me");
    assert.match(await demo.page.getByTestId("me").textContent(), /demo@example\.com/);
    await demo.page.goto(server.appUrl);
    await demo.page.locator('[data-testid="viewer-name"][data-source="convex"]').waitFor();
  });

  scenario("signs out: cookie gone, signed-out UI after the issuer's logout, / still public", async () => {
    await demo.page.getByTestId("sign-out").click();
    await demo.page.getByTestId("signed-out").waitFor();
    assert.equal(new URL(demo.page.url()).origin, server.appUrl);
    const cookies = await demo.context.cookies(server.appUrl);
    assert.ok(!cookies.some((c) => c.name === "wos-session"), "session cookie deleted");
    await demo.page.reload();
    await demo.page.getByTestId("signed-out").waitFor();
    await demo.page.goto(server.appUrl + "/me");
    await demo.page.waitForURL(/\/user_management\/authorize\?/);
    await demo.screenshot("server-03-signed-out-again");
  });
});
