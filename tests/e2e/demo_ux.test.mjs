// The demo as a user sees it: Deny on the issuer's page comes back signed
// out with a message and a clean URL; at phone width (375 px) the header's
// title, badge and account neither wrap inside nor overlap. Screenshots land
// in tests/artifacts/e2e/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ARTIFACTS, T, launchBrowser, signIn, startStack } from "./harness.mjs";

describe("the demo at phone width", { timeout: 120_000 }, () => {
  let stack, browser, context, page;

  before(async () => {
    stack = await startStack({ name: "demo-ux" });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 375, height: 700 } });
    page = await context.newPage();
    page.setDefaultTimeout(T.step);
    await page.goto(stack.appUrl);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("Deny returns signed out, says so, and leaves no ?error= in the URL", async () => {
    await page.getByTestId("sign-in").click();
    await page.waitForURL(/\/user_management\/authorize\?/);
    await page.screenshot({ path: join(ARTIFACTS, "phone-issuer-sign-in.png") });
    await page.getByRole("button", { name: "Deny" }).click();
    const notice = page.getByTestId("sign-in-error");
    await notice.waitFor();
    assert.equal(await notice.getAttribute("data-code"), "access_denied");
    assert.match(await notice.textContent(), /still signed out/);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, "/");
    await page.getByTestId("signed-out").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "phone-denied.png") });
    await notice.getByRole("button").click();
    await notice.waitFor({ state: "detached" });
  });

  it("keeps the header's title, badge and account whole and apart", async () => {
    await signIn({ page }, "demo@example.com");
    await page.screenshot({ path: join(ARTIFACTS, "phone-signed-in.png") });
    const box = async (sel) => {
      const b = await page.locator(sel).boundingBox();
      assert.ok(b, `${sel} is on screen`);
      return b;
    };
    const title = await box(".topbar h1 .title");
    const badge = await box(".topbar .badge");
    const account = await box(".topbar .account");
    const name = await box('[data-testid="viewer-name"]');
    const lineHeight = await page.locator(".topbar h1 .title").evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
    assert.ok(title.height <= lineHeight * 1.1, `the title is one line (${title.height} px)`);
    assert.ok(badge.height < 2 * lineHeight, `the badge is one line (${badge.height} px)`);
    const right = (b) => b.x + b.width;
    assert.ok(right(title) <= account.x, `the title (to ${right(title)}) ends before the account (from ${account.x})`);
    assert.ok(right(badge) <= account.x, "so does the badge");
    assert.ok(name.width >= 60, `the user's name has room (${name.width} px)`);
    assert.ok(right(account) <= 375, "the account fits the screen");
  });
});
