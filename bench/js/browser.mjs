// B5, both sides in Chromium (Debian's chromium, driven by playwright-core):
// builds the pages (bench/js/browser/*.mjs, bundled and minified by
// esbuild) into the directory the driver serves, then, `loads` times, for
// every network condition (loopback, and the deployment behind the
// driver's delaying proxies) and every page, alternating the order:
// launches Chromium on a fresh profile directory, loads the page (cold:
// empty HTTP and compiled-code caches), closes it, waits `warmWait` ms and
// loads it again in the same profile (warm). A last, untimed pair of the Go
// page traces V8's wasm events, to tell whether the warm load found the
// compiled module in Chromium's code cache. On the loopback cold load it also bumps the query's
// data `rounds` times through the deployment's HTTP API (render latency).
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { launchChromiumProfile } from "../../tests/e2e/chromium.mjs";
import { headScript } from "../../js/dist/head.js";
import { ConvexHttpClient } from "convex/browser";
import { emit, median, params } from "./common.mjs";

const { root, web, base, deployment, conditions, wasm, floorWasm, loads = 8, rounds = 8, warmWait = 1000 } = params;
const here = path.join(root, "bench", "js", "browser");

for (const side of ["official", "wasm", "wasm_late", "floor"]) {
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
  if (side === "floor") continue; // its HTML has the head start: below
  writeFileSync(
    path.join(web, `${side}.html`),
    `<!doctype html><html><head><meta charset="utf-8"><title>${side}</title></head>` +
      `<body><div id="out">loading</div><script type="module" src="./${side}.js"></script></body></html>\n`,
  );
}
// The shipped configuration (what @goconvex/react/vite writes into an
// app's index.html): the head start, one page per network since it names
// the deployment, as an app's build does. The instrument runs inline first,
// so that it sees the head start's socket and fetch (or compilation).
const instrumentIIFE = await build({
  entryPoints: [path.join(here, "instrument.mjs")],
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "warning",
});
const inlineInstrument = instrumentIIFE.outputFiles[0].text.replace(/<\/script/gi, "<\\/script");
for (const [i, cond] of conditions.entries()) {
  for (const [name, compile] of [["wasm_head", false], ["wasm_headcompile", true]]) {
    const start = headScript({ wasmUrl: "./goconvex.wasm", deploymentUrl: cond.deployment, compile });
    writeFileSync(
      path.join(web, `${name}_${i}.html`),
      `<!doctype html><html><head><script>${inlineInstrument}</script><script>${start}</script>` +
        `<meta charset="utf-8"><title>wasm</title></head>` +
        `<body><div id="out">loading</div><script type="module" src="./wasm.js"></script></body></html>\n`,
    );
  }
}
writeFileSync(
  path.join(web, "floor.html"),
  `<!doctype html><html><head><script>${inlineInstrument}</script><script>${headScript({ wasmUrl: "./floor.wasm" })}</script>` +
    `<meta charset="utf-8"><title>floor</title></head>` +
    `<body><div id="out">loading</div><script type="module" src="./floor.js"></script></body></html>\n`,
);
copyFileSync(wasm, path.join(web, "goconvex.wasm"));
copyFileSync(floorWasm, path.join(web, "floor.wasm"));

const http = new ConvexHttpClient(deployment);
// go: the Go client with the head start as shipped (the head downloads
// the wasm and opens the socket); gocompile: the head start with
// compile: true (the head also compiles);
// goloader: the same without it (the loader opens the socket and fetches
// the wasm once the page's script runs); golate: neither (the Go client
// opens its socket once it runs); goeager: go in a Chromium whose V8
// compiles the whole module before it runs (--no-wasm-lazy-compilation),
// to tell how much of the start is lazy compilation on the main thread.
const pages = { go: "wasm_head", gocompile: "wasm_headcompile", goloader: "wasm", golate: "wasm_late", goeager: "wasm_head", js: "official", floor: "floor" };
const browserArgs = { goeager: ["--js-flags=--no-wasm-lazy-compilation"] };
const pageFile = (side, cond) => (pages[side].startsWith("wasm_head") ? `${pages[side]}_${conditions.indexOf(cond)}` : pages[side]);
const results = []; // one entry per page load
let version = "";

// Traces V8's wasm events of one load (the probe pair only: tracing costs
// time): how long lazy compilation took and whether the compiled module
// went into (Serialize) or came from (Deserialize) Chromium's code cache.
async function startTrace(context, page) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
  await cdp.send("Tracing.start", {
    traceConfig: { includedCategories: ["v8.wasm", "disabled-by-default-v8.wasm.detailed"] },
    transferMode: "ReportEvents",
  });
  return async () => {
    const done = new Promise((res) => cdp.once("Tracing.tracingComplete", res));
    await cdp.send("Tracing.end");
    await done;
    const ms = (re) => events.filter((e) => re.test(e.name)).reduce((a, e) => a + (e.dur ?? 0) / 1000, 0);
    const named = (re) => [...new Set(events.filter((e) => re.test(e.name)).map((e) => e.name))];
    return {
      lazyCompileMs: ms(/^wasm\.CompileLazy$/),
      topTierMs: ms(/^wasm\.TopTierCompilation$/),
      serialized: named(/[^e]serializ|^wasm\.Serializ/i),
      deserialized: named(/deserializ/i),
    };
  };
}

async function loadOnce(context, side, cond, trace = false) {
  const page = await context.newPage();
  const stopTrace = trace ? await startTrace(context, page) : undefined;
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const file = pageFile(side, cond);
  await page.goto(`${base}/${file}.html?deployment=${encodeURIComponent(cond.deployment)}`);
  try {
    await page.waitForFunction(() => globalThis.__bench?.first > 0, null, { timeout: 60_000, polling: 10 });
  } catch (e) {
    throw new Error(`${file}.html (${cond.name}): no first result (${errors.join("; ")}): ${e.message}`);
  }
  const s = await page.evaluate(() => globalThis.__bench);
  if (stopTrace) {
    await new Promise((res) => setTimeout(res, 500)); // the module's background compilation goes on
    s.trace = await stopTrace();
  }
  return { page, errors, s };
}

// One fresh profile: a cold load, then a warm one.
async function pair(side, cond, withRounds, trace = false) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "goconvex-b5-"));
  const context = await launchChromiumProfile(dir, browserArgs[side]);
  try {
    version ||= context.browser()?.version() ?? "";
    // The browser's own start-up is not the page's: an empty page first.
    for (const p of context.pages()) await p.goto("about:blank");
    for (const temp of ["cold", "warm"]) {
      const { page, errors, s } = await loadOnce(context, side, cond, trace);
      const entry = { cond: cond.name, side, temp, first: s.first, ready: s.ready, marks: s.marks, trace: s.trace };
      if (withRounds && temp === "cold" && ["go", "gocompile", "goloader", "js"].includes(side)) {
        const renders = [];
        const toBatch = []; // Go only: message → the batch handed to JS
        for (let r = 0; r < rounds; r++) {
          const gen = await http.mutation("fanout:bump", {});
          await page.waitForFunction((g) => globalThis.__bench.rounds.some((x) => x.gen === g), gen, { timeout: 30_000, polling: 5 });
          const x = await page.evaluate((g) => globalThis.__bench.rounds.find((x) => x.gen === g), gen);
          renders.push(x.rendered - x.message);
          if (x.batch >= x.message) toBatch.push(x.batch - x.message);
          await new Promise((res) => setTimeout(res, 50));
        }
        entry.render = median(renders);
        if (toBatch.length === renders.length) entry.renderGo = median(toBatch);
      }
      if (errors.length) throw new Error(`${pageFile(side, cond)}.html (${cond.name}): ${errors.join("; ")}`);
      results.push(entry);
      await page.close();
      if (temp === "cold") await new Promise((res) => setTimeout(res, warmWait));
    }
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// One untimed pair first (the disk cache of the browser's own files).
await pair("go", conditions[0], false);
results.length = 0;
const started = Date.now();
for (let i = 0; i < loads; i++) {
  // (A line that is not a result: the driver shows it as progress.)
  console.log(`B5 browser: pair ${i + 1} of ${loads} for each page and network, ${Math.round((Date.now() - started) / 1000)} s in`);
  const conds = i % 2 === 0 ? conditions : [...conditions].reverse();
  for (const [k, cond] of conds.entries()) {
    const sides = cond.rtt === 0 ? ["go", "js", "gocompile", "goloader", "golate", "goeager", "floor"] : ["go", "js", "gocompile", "goloader", "golate"];
    for (const side of (i + k) % 2 === 0 ? sides : [...sides].reverse()) {
      await pair(side, cond, cond.rtt === 0);
    }
  }
}
// A traced pair at the end, untimed: does the warm load reuse the compiled wasm?
const timed = results.splice(0);
await pair("go", conditions[0], false, true);
const probe = Object.fromEntries(results.map((e) => [e.temp, e.trace]));
emit({ bench: "browser", chromium: version, loads: timed, probe });
