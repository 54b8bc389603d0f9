// The browser proof of the wasm client (make test-wasm): Debian's Chromium,
// driven by playwright-core, loads the page built from js/ (e2e/dist, served
// by wasm/internal/testenv), signs in through authkit-react against
// authkittest's login form, and then, over the Go client in wasm:
//   - sees the deployment confirm the token (useConvexAuth, users:viewer),
//   - subscribes (messages:list) and sends a message (messages:send),
//   - watches a second, signed-out page receive that message live,
//   - and has a signed-out send refused with the function's ConvexError.
// Prints "N passed, N failed" and exits non-zero on a failure.
import { launchChromium } from "../../tests/e2e/chromium.mjs";

const appUrl = process.env.GOCONVEX_TEST_APP_URL;
if (!appUrl) {
  console.error("GOCONVEX_TEST_APP_URL is not set: run through wasm/internal/testenv -static js/e2e/dist");
  process.exit(2);
}
const config = await (await fetch(appUrl + "/config.json")).json();

let passed = 0;
let failed = 0;
const t0 = performance.now();
const browser = await launchChromium();

function watch(page, label) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`[${label}] pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`[${label}] console.error: ${m.text()} (${m.location().url})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`[${label}] HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return errors;
}

async function step(name, fn) {
  const t = performance.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Math.round(performance.now() - t)} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watch(page, "signed-in");
  const observerPage = await (await browser.newContext()).newPage();
  const observerErrors = watch(observerPage, "observer");
  const body = `hello from wasm ${Date.now()}`;

  await step("the page loads the wasm client and settles signed out", async () => {
    await page.goto(appUrl + "/");
    await page.getByTestId("auth-state").filter({ hasText: /^unauthenticated$/ }).waitFor({ timeout: 20_000 });
    await page.getByTestId("count").filter({ hasText: /^\d+ messages$/ }).waitFor();
  });

  await step("a signed-out page subscribes to the message list", async () => {
    await observerPage.goto(appUrl + "/");
    await observerPage.getByTestId("auth-state").filter({ hasText: /^unauthenticated$/ }).waitFor({ timeout: 20_000 });
    await observerPage.getByTestId("count").filter({ hasText: /^\d+ messages$/ }).waitFor();
  });

  await step("signs in through authkit-react and authkittest's login form", async () => {
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.href.startsWith(config.authkitUrl), { timeout: 10_000 });
    await page.locator('input[name="email"]').fill(config.email);
    await page.locator('input[name="password"]').fill(config.password);
    await page.locator('button[type="submit"], input[type="submit"]').first().click();
    await page.waitForURL((u) => u.href.startsWith(appUrl), { timeout: 10_000 });
    await page.getByTestId("auth-state").filter({ hasText: /^authenticated$/ }).waitFor({ timeout: 20_000 });
  });

  await step("the deployment knows the user (users:viewer over the authenticated socket)", async () => {
    await page.getByTestId("viewer").filter({ hasText: "Demo User" }).waitFor({ timeout: 10_000 });
    const user = await page.getByTestId("user").textContent();
    if (user !== config.email) throw new Error(`user ${user}`);
  });

  await step("sends a message; the subscription shows it", async () => {
    await page.getByLabel("message").fill(body);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("messages").getByText(`Demo User: ${body}`).waitFor({ timeout: 10_000 });
    const input = await page.getByLabel("message").inputValue();
    if (input !== "") throw new Error("the mutation did not resolve");
  });

  await step("the signed-out page receives it live", async () => {
    await observerPage.getByTestId("messages").getByText(`Demo User: ${body}`).waitFor({ timeout: 10_000 });
  });

  await step("a signed-out send is refused with the function's ConvexError", async () => {
    const message = await observerPage.evaluate(async () => {
      try {
        await globalThis.convex.mutation("messages:send", { body: "should fail" });
        return "resolved";
      } catch (e) {
        return `${e.name}: ${JSON.stringify(e.data)}`;
      }
    });
    if (message !== 'ConvexError: "Sign in to send messages."') throw new Error(message);
  });

  await step("no page errors", async () => {
    // (authkittest's login page has no favicon: the browser's request for one is not the app's.)
    const all = [...errors, ...observerErrors].filter((e) => !/\/favicon\.ico\)$/.test(e));
    if (all.length > 0) throw new Error(all.join("\n"));
  });
} finally {
  await browser.close();
}

console.log(`browser ${browser.browserType().name()} e2e in ${Math.round(performance.now() - t0)} ms`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
