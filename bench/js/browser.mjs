// B5, both sides in Chromium (Debian's chromium, driven by playwright-core):
// builds the two pages (bench/js/browser/*.mjs, bundled and minified by
// esbuild) into the directory the driver serves, then loads each page
// `loads` times, alternating, each in a fresh browser context (empty HTTP
// and code caches), and on each load bumps the query's data `rounds` times
// through the deployment's HTTP API.
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { launchChromium } from "../../tests/e2e/chromium.mjs";
import { ConvexHttpClient } from "convex/browser";
import { emit, median, params } from "./common.mjs";

const { root, web, base, deployment, wasm, floorWasm, loads = 8, rounds = 8 } = params;
const here = path.join(root, "bench", "js", "browser");

for (const side of ["official", "wasm", "floor"]) {
  await build({
    entryPoints: [path.join(here, `${side}.mjs`)],
    outfile: path.join(web, `${side}.js`),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
  });
  writeFileSync(
    path.join(web, `${side}.html`),
    `<!doctype html><html><head><meta charset="utf-8"><title>${side}</title></head>` +
      `<body><div id="out">loading</div><script type="module" src="./${side}.js"></script></body></html>\n`,
  );
}
copyFileSync(wasm, path.join(web, "goconvex.wasm"));
copyFileSync(floorWasm, path.join(web, "floor.wasm"));

const browser = await launchChromium();
const http = new ConvexHttpClient(deployment);
const out = {
  go: { first: [], fromScript: [], ready: [], render: [] },
  js: { first: [], fromScript: [], ready: [], render: [] },
  floor: { first: [], fromScript: [] },
};
const pages = { go: "wasm", js: "official", floor: "floor" };

async function load(side) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const file = pages[side];
  await page.goto(`${base}/${file}.html?deployment=${encodeURIComponent(deployment)}`);
  try {
    await page.waitForFunction(() => globalThis.__bench?.first > 0, null, { timeout: 60_000, polling: 10 });
  } catch (e) {
    throw new Error(`${file}.html: no first result (${errors.join("; ")}): ${e.message}`);
  }
  const s = await page.evaluate(() => globalThis.__bench);
  out[side].first.push(s.first);
  out[side].fromScript.push(s.first - s.scriptStart);
  if (s.ready > 0) out[side].ready.push(s.ready - s.scriptStart);
  if (side === "floor") {
    await context.close(); // the reference page has no data to render
    return;
  }
  const renders = [];
  for (let r = 0; r < rounds; r++) {
    const gen = await http.mutation("fanout:bump", {});
    await page.waitForFunction((g) => globalThis.__bench.rounds.some((x) => x.gen === g), gen, { timeout: 30_000, polling: 5 });
    const x = await page.evaluate((g) => globalThis.__bench.rounds.find((x) => x.gen === g), gen);
    renders.push(x.rendered - x.message);
    await new Promise((res) => setTimeout(res, 50));
  }
  out[side].render.push(median(renders));
  if (errors.length) throw new Error(`${file}.html: ${errors.join("; ")}`);
  await context.close();
}

try {
  // One untimed load each: the browser's own start-up is not the page's.
  for (const side of ["go", "js", "floor"]) await load(side);
  for (const side of Object.keys(out)) for (const k of Object.keys(out[side])) out[side][k] = [];
  for (let i = 0; i < loads; i++) {
    for (const side of i % 2 === 0 ? ["go", "js", "floor"] : ["floor", "js", "go"]) await load(side);
  }
  emit({ bench: "browser", chromium: browser.version(), ...out });
} finally {
  await browser.close();
}
