// Launches Debian's chromium for every browser suite (tests/e2e, js/e2e and
// bench row B5): headless, as root, on a closed network, never a downloaded
// browser (playwright's own builds cannot be fetched where the suites run;
// `make ensure-chromium` installs Debian's). CHROMIUM names another binary.
import { chromium } from "playwright-core";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** @returns {Promise<import("playwright-core").Browser>} */
export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
}

/**
 * Chromium with an on-disk profile in userDataDir (row B5's cold and warm
 * loads: a fresh directory has empty HTTP and compiled-code caches, a
 * second load in the same profile finds them filled); extraArgs are more
 * command-line flags (row B5's what-if runs).
 * @returns {Promise<import("playwright-core").BrowserContext>}
 */
export function launchChromiumProfile(userDataDir, extraArgs = []) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...FLAGS, ...extraArgs],
  });
}
