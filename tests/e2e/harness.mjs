// The browser e2e harness: starts the dev stack (cmd/devstack) on free
// ports serving the built example (examples/vite/dist), launches Debian's
// Chromium through playwright-core, and drives the example as a user would.
//
// Environment:
//   DEVSTACK   a built cmd/devstack binary (make test-e2e builds bin/devstack);
//              without it the harness builds one with `go build` once
//   APP_DIR    the built example (default examples/vite/dist)
//   CHROMIUM   the browser binary (default /usr/bin/chromium)
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts", "e2e");
const APP_DIR = resolve(process.env.APP_DIR ?? join(ROOT, "examples", "vite", "dist"));

/** Bounded waits: generous, never a speed assertion. */
export const T = { page: 30_000, step: 20_000 };

mkdirSync(ARTIFACTS, { recursive: true });

let builtDevstack;
function devstackBinary() {
  if (process.env.DEVSTACK) {
    return resolve(ROOT, process.env.DEVSTACK);
  }
  if (builtDevstack === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "goconvex-devstack-"));
    builtDevstack = join(dir, "devstack");
    execFileSync("go", ["build", "-o", builtDevstack, "./cmd/devstack"], { cwd: ROOT, stdio: "inherit" });
  }
  return builtDevstack;
}

/**
 * Starts the dev stack with its e2e control endpoints on free loopback
 * ports. Resolves with its URLs and helpers once it is listening.
 */
export async function startStack({ name, tokenLifetime = "5m" }) {
  if (!existsSync(join(APP_DIR, "index.html"))) {
    throw new Error(`${APP_DIR}/index.html is missing: build the example first (make example)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "goconvex-e2e-"));
  const infoFile = join(dir, "info.json");
  const logPath = join(ARTIFACTS, `devstack-${name}.log`);
  const log = createWriteStream(logPath);
  const args = [
    "-convex-addr", "127.0.0.1:0",
    "-authkit-addr", "127.0.0.1:0",
    "-app-addr", "127.0.0.1:0",
    "-app-dir", APP_DIR,
    "-token-lifetime", tokenLifetime,
    "-e2e-control",
    "-info-file", infoFile,
  ];
  const proc = spawn(devstackBinary(), args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  let exited = null;
  proc.on("exit", (code, signal) => {
    exited = { code, signal };
  });

  const deadline = Date.now() + T.step;
  while (!existsSync(infoFile)) {
    if (exited !== null) {
      throw new Error(`devstack exited (${JSON.stringify(exited)}) before listening; see ${logPath}`);
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`devstack did not start within ${T.step} ms; see ${logPath}`);
    }
    await sleep(50);
  }
  const info = JSON.parse(readFileSync(infoFile, "utf8"));

  const call = async (method, path) => {
    const res = await fetch(info.appUrl + path, { method, signal: AbortSignal.timeout(T.step) });
    if (!res.ok) {
      throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    }
    return res.status === 204 ? null : res.json();
  };
  return {
    ...info,
    logPath,
    /** POST to a /_e2e/ control endpoint, e.g. control("/drop"). */
    control: (path) => call("POST", `/_e2e${path}`),
    /** The deployment's frame counters (cmd/devstack e2eStats). */
    stats: () => call("GET", "/_e2e/stats"),
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

export { launchChromium as launchBrowser } from "./chromium.mjs";

/**
 * Opens the app in a fresh browser context (its own storage: one user) and
 * records what would count as a failure: uncaught page errors, console
 * errors from the app, and failed HTTP responses from the app, the
 * deployment or the issuer.
 */
export async function openApp(browser, stack, label) {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  page.setDefaultTimeout(T.step);
  const problems = [];
  const origins = [stack.appUrl, stack.convexUrl, stack.authkitUrl];
  const ours = (url) => origins.some((o) => url.startsWith(o));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    const url = m.location()?.url ?? "";
    if (m.type() === "error" && url.startsWith(stack.appUrl)) {
      problems.push(`console.error: ${m.text()} (${url})`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && ours(r.url()) && !r.url().endsWith("/favicon.ico")) {
      problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    }
  });
  page.on("requestfailed", (r) => {
    // A page navigating away cancels its own requests: not a failure.
    if (ours(r.url()) && !/ERR_ABORTED/.test(r.failure()?.errorText ?? "")) {
      problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    }
  });
  let navigations = 0;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigations++;
  });
  await page.goto(stack.appUrl);
  return {
    label,
    context,
    page,
    problems,
    /** Main-frame navigations so far (a reload counts one). */
    navigations: () => navigations,
    async screenshot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    },
    close: () => context.close(),
  };
}

/**
 * Signs in through the issuer's hosted login page, as a person would:
 * Sign in, the login form, back to the app, and the deployment's answer to
 * users:viewer on screen.
 */
export async function signIn(user, email, password = "password") {
  const { page } = user;
  await page.getByTestId("sign-in").click();
  await page.waitForURL(/\/user_management\/authorize\?/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-testid="viewer-name"][data-source="convex"]').waitFor();
}

/**
 * Sends a message through the UI and waits until the send settled: the
 * composer clears its input on success and shows an alert on failure.
 */
export async function send(user, body) {
  const { page } = user;
  await page.getByTestId("message-input").fill(body);
  await page.getByTestId("send").click();
  await page.waitForFunction(
    () =>
      document.querySelector('[data-testid="message-input"]')?.value === "" ||
      document.querySelector('[data-testid="send-error"]') !== null,
  );
  const error = page.getByTestId("send-error");
  if (await error.count()) {
    throw new Error(`sending ${JSON.stringify(body)} failed: ${await error.textContent()}`);
  }
}

/** The message bodies on screen, in order, with their authors. */
export async function messages(user) {
  return user.page.getByTestId("message").evaluateAll((lis) =>
    lis.map((li) => ({
      author: li.querySelector('[data-testid="message-author"]')?.textContent ?? "",
      body: li.querySelector('[data-testid="message-body"]')?.textContent ?? "",
      mine: li.classList.contains("mine"),
    })),
  );
}

/** Waits until exactly `count` messages with this body are on screen. */
export async function waitForMessage(user, body, { author, count = 1 } = {}) {
  const item = user.page.getByTestId("message").filter({ has: user.page.getByTestId("message-body").getByText(body, { exact: true }) });
  const match = author ? item.filter({ has: user.page.getByTestId("message-author").getByText(author, { exact: true }) }) : item;
  await match.first().waitFor();
  const deadline = Date.now() + T.step;
  while ((await match.count()) !== count) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} message(s) ${JSON.stringify(body)} on ${user.label}'s page, saw ${await match.count()}`);
    }
    await sleep(100);
  }
}

/** The committed auth states the app recorded (window.__authStates). */
export async function authStates(user) {
  return user.page.evaluate(() => window.__authStates ?? []);
}

/** A unique message body, so tests never see each other's messages. */
export function nonce(prefix) {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
