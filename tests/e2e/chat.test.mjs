// Browser e2e of the Vite example (examples/vite) against the local dev
// stack: sign in through the hosted login page, two users chatting live,
// a connection cut while a send is pending, and sign-out. make test-e2e runs
// it; screenshots land in tests/artifacts/e2e/.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { authStates, launchBrowser, messages, nonce, openApp, send, signIn, startStack, waitForMessage } from "./harness.mjs";

describe("the Vite example on the dev stack", { timeout: 180_000 }, () => {
  let stack, browser, demo, ada;
  const open = () => [demo, ada].filter(Boolean);

  before(async () => {
    stack = await startStack({ name: "chat" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  // Runs a scenario; on failure, screenshots every open page first.
  // allow lists console errors the scenario causes on purpose.
  const scenario = (name, fn, { allow = [] } = {}) =>
    it(name, { timeout: 60_000 }, async () => {
      try {
        await fn();
      } catch (e) {
        for (const u of open()) {
          await u.screenshot(`failure-${name.replace(/\W+/g, "-").slice(0, 40)}-${u.label}`).catch(() => {});
        }
        throw e;
      }
      for (const u of open()) {
        const unexpected = u.problems.filter((p) => !allow.some((re) => re.test(p)));
        u.problems.length = 0;
        assert.deepEqual(unexpected, [], `${u.label}'s page reported problems`);
      }
    });

  scenario("signs in through the hosted login page and shows your own name", async () => {
    demo = await openApp(browser, stack, "demo");
    await demo.page.getByTestId("signed-out").waitFor();
    await demo.screenshot("01-signed-out");

    await signIn(demo, "demo@example.com");
    assert.equal(await demo.page.getByTestId("viewer-name").textContent(), "Demo User");
    assert.equal(await demo.page.getByTestId("viewer-email").textContent(), "demo@example.com");
    assert.equal(new URL(demo.page.url()).pathname, "/", "back from /callback, with no ?code left in the URL");
    assert.equal(new URL(demo.page.url()).search, "");
    await demo.page.getByTestId("message-input").waitFor();
    await demo.page.getByTestId("signed-out").waitFor({ state: "detached" });

    const states = await authStates(demo);
    assert.equal(states.at(-1)?.state, "authenticated", JSON.stringify(states));
    await demo.screenshot("02-signed-in");
  });

  scenario("two users: a message from one appears for the other without a reload", async () => {
    ada = await openApp(browser, stack, "ada");
    await signIn(ada, "ada@example.com");
    assert.equal(await ada.page.getByTestId("viewer-name").textContent(), "Ada Lovelace");
    const demoNavigations = demo.navigations();
    const adaNavigations = ada.navigations();

    const hello = nonce("Hello Ada, it's Demo.");
    await send(demo, hello);
    await waitForMessage(ada, hello, { author: "Demo User" });

    const reply = nonce("Hi Demo! Ada here.");
    await send(ada, reply);
    await waitForMessage(demo, reply, { author: "Ada Lovelace" });

    // Each sees both, in order, with their own marked as theirs.
    for (const [user, name, own, theirs] of [
      [demo, "Demo User", hello, reply],
      [ada, "Ada Lovelace", reply, hello],
    ]) {
      const list = await messages(user);
      const i = list.findIndex((m) => m.body === hello);
      const j = list.findIndex((m) => m.body === reply);
      assert.ok(i >= 0 && j > i, `${user.label} sees both messages in order: ${JSON.stringify(list)}`);
      assert.equal(list.find((m) => m.body === own)?.mine, true, `${user.label}'s own message is marked as theirs`);
      assert.equal(list.find((m) => m.body === theirs)?.mine, false, `the other's message is not marked as ${user.label}'s`);
      assert.ok(list.filter((m) => m.mine).every((m) => m.author === name), JSON.stringify(list));
    }
    assert.equal(demo.navigations(), demoNavigations, "demo's page did not reload");
    assert.equal(ada.navigations(), adaNavigations, "ada's page did not reload");
    await demo.screenshot("03-two-users-demo");
    await ada.screenshot("03-two-users-ada");
  });

  scenario("a send the deployment refuses shows its ConvexError and keeps the text", async () => {
    // 700 three-byte characters: within the input's 2000-character limit,
    // over messages:send's 2000-byte one.
    const tooLong = "€".repeat(700);
    await demo.page.getByTestId("message-input").fill(tooLong);
    await demo.page.getByTestId("send").click();
    const alert = demo.page.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.textContent(), "A message is at most 2000 bytes.");
    assert.equal(await demo.page.getByTestId("message-input").inputValue(), tooLong, "the text stays for editing");
    assert.equal((await messages(demo)).filter((m) => m.body === tooLong).length, 0);
    await demo.screenshot("03-refused-send");

    const ok = nonce("Shorter this time.");
    await send(demo, ok);
    await demo.page.getByTestId("send-error").waitFor({ state: "detached" });
    await waitForMessage(demo, ok);
  });

  scenario("signs out: the UI shows the signed-out state, also after a reload", async () => {
    await ada.page.getByTestId("sign-out").click();
    await ada.page.getByTestId("signed-out").waitFor();
    assert.equal(new URL(ada.page.url()).origin, stack.appUrl, "back on the app after the issuer's logout");
    assert.equal(await ada.page.getByTestId("viewer-name").count(), 0);
    assert.equal(await ada.page.getByTestId("message-input").count(), 0);
    await ada.screenshot("04-signed-out-again");

    await ada.page.reload();
    await ada.page.getByTestId("signed-out").waitFor();
    assert.equal(await ada.page.getByTestId("viewer-name").count(), 0, "the session is gone, not just hidden");
    await ada.close();
    ada = undefined;
  });

  scenario("the deployment cuts every connection while a send is pending: it recovers, the message appears once", async () => {
    // One page is open (ada's closed above), so the frame after the
    // mutation reaches the server is its own MutationResponse.
    const body = nonce("Sent through a dropped connection.");
    const before = await stack.stats();
    await demo.page.evaluate(() => {
      // Watch the composer: was the send seen pending, and the connection lost?
      window.__seen = { pending: false, reconnecting: false };
      const look = () => {
        if (document.querySelector('[data-testid="send-pending"]')) window.__seen.pending = true;
        if (document.querySelector('[data-testid="reconnecting"]')) window.__seen.reconnecting = true;
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await demo.page.getByTestId("message-input").fill(body);
    await stack.control("/drop-on-next-mutation");
    await demo.page.getByTestId("send").click();

    await waitForMessage(demo, body, { author: "Demo User" });
    await demo.page.waitForFunction(() => document.querySelector('[data-testid="message-input"]')?.value === "");
    await demo.page.getByTestId("reconnecting").waitFor({ state: "detached" });
    assert.equal(await demo.page.getByTestId("send-error").count(), 0, "the send did not fail");
    const seen = await demo.page.evaluate(() => window.__seen);
    assert.equal(seen.pending, true, "the send was pending in the UI");

    const after = await stack.stats();
    assert.equal(after.dropsTriggered - before.dropsTriggered, 1, "the drop went off on this mutation");
    assert.ok(after.connects > before.connects, `the client reconnected (${JSON.stringify({ before, after })})`);
    assert.equal(after.sendExecutions - before.sendExecutions, 1, "messages:send ran exactly once");

    // A later send goes through and the dropped one is still there once.
    const next = nonce("And one more after the reconnect.");
    await send(demo, next);
    await waitForMessage(demo, next);
    await waitForMessage(demo, body, { count: 1 });
    const list = await messages(demo);
    assert.equal(list.filter((m) => m.body === body).length, 1, JSON.stringify(list));
    console.log(
      `drop: mutation frames ${after.mutationFrames - before.mutationFrames} (a resend after the reconnect counts), ` +
        `reconnects ${after.connects - before.connects}, reconnecting banner seen: ${seen.reconnecting}`,
    );
    await demo.screenshot("05-after-drop");
  }, { allow: [/^console\.error: .*convex: connection lost.*1011/] });
});
