// Short-lived tokens in the browser: the issuer mints 10 s access tokens and
// a signed-in page is watched for 45 s while it keeps chatting. The token
// lifecycle (refresh before expiry, in Go) must never show AuthLoading again
// after the first load, never drop to signed out, and no call may fail.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { authStates, launchBrowser, messages, nonce, openApp, send, signIn, startStack, waitForMessage } from "./harness.mjs";

const WATCH_MS = 45_000;
const SEND_EVERY_MS = 5_000;

describe("10 s tokens, watched for 45 s", { timeout: 180_000 }, () => {
  let stack, browser, demo;

  before(async () => {
    stack = await startStack({ name: "tokens", tokenLifetime: "10s" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("no AuthLoading flicker and no failed call while tokens rotate", { timeout: 120_000 }, async () => {
    try {
      demo = await openApp(browser, stack, "demo");
      await signIn(demo, "demo@example.com");
      const settled = (await authStates(demo)).length;
      const start = await stack.stats();
      // Anything that shows loading or signed out from now on is a flicker,
      // even if React never commits it as an auth state.
      await demo.page.evaluate(() => {
        window.__flicker = [];
        const look = () => {
          for (const id of ["auth-loading", "signed-out", "startup-error"]) {
            if (document.querySelector(`[data-testid="${id}"]`)) window.__flicker.push({ t: Math.round(performance.now()), id });
          }
        };
        new MutationObserver(look).observe(document.body, { subtree: true, childList: true });
      });

      const sent = [];
      const t0 = Date.now();
      for (let i = 1; Date.now() - t0 < WATCH_MS; i++) {
        const body = nonce(`Message ${i} under 10 s tokens.`);
        await send(demo, body);
        sent.push(body);
        const wait = SEND_EVERY_MS - ((Date.now() - t0) % SEND_EVERY_MS);
        await sleep(Math.min(wait, Math.max(0, WATCH_MS - (Date.now() - t0))));
      }
      const watched = Date.now() - t0;
      const end = await stack.stats();

      const states = await authStates(demo);
      const later = states.slice(settled);
      const flicker = await demo.page.evaluate(() => window.__flicker);
      console.log(
        `tokens: watched ${(watched / 1000).toFixed(1)} s; ${sent.length} messages sent; ` +
          `Authenticate frames ${end.authenticates - start.authenticates}; auth states after sign-in ${JSON.stringify(later)}`,
      );
      assert.ok(watched >= WATCH_MS);
      assert.equal(states[settled - 1]?.state, "authenticated", JSON.stringify(states));
      assert.deepEqual(later, [], `no auth state change after the first load: ${JSON.stringify(states)}`);
      assert.deepEqual(flicker, [], "AuthLoading / signed-out never rendered again");
      await demo.page.locator('[data-testid="viewer-name"][data-source="convex"]').waitFor();

      // The tokens did rotate: each new one reached the deployment.
      assert.ok(
        end.authenticates - start.authenticates >= Math.floor(WATCH_MS / 10_000) - 1,
        `tokens were refreshed and sent (${end.authenticates - start.authenticates} Authenticate frames in ${watched} ms)`,
      );
      // No failed call: every send landed once, and the deployment refused nothing.
      const list = await messages(demo);
      for (const body of sent) {
        await waitForMessage(demo, body, { author: "Demo User" });
        assert.equal(list.filter((m) => m.body === body).length, 1);
      }
      assert.equal(end.mutationsOk - start.mutationsOk, sent.length, JSON.stringify({ start, end }));
      for (const k of ["mutationsFailed", "actionsFailed", "queriesFailed", "authErrors", "fatalErrors"]) {
        assert.equal(end[k] - start[k], 0, `${k}: ${JSON.stringify(end)}`);
      }
      assert.equal(end.connects, start.connects, "the socket stayed up: no reconnect");
      assert.deepEqual(demo.problems, [], "the page reported problems");
      await demo.screenshot("06-after-45s-of-10s-tokens");
    } catch (e) {
      await demo?.screenshot("failure-tokens").catch(() => {});
      throw e;
    }
  });
});
