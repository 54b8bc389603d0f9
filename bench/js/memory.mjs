// B4, JS side (run with --expose-gc): node's heap and RSS before and after
// n subscriptions (ConvexClient.onUpdate) to bench:item, each with its
// first result, after a full GC.
import { emit, fail, newClient, params } from "./common.mjs";

const { url, n = 10000 } = params;
const client = newClient(url);

function settled() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers };
}

// Connected, with one query answered: the baseline is a live client.
await client.query("bench:item", { i: -1 });
await new Promise((r) => setTimeout(r, 50));
const before = settled();

const unsubs = [];
await new Promise((resolve) => {
  let got = 0;
  for (let i = 0; i < n; i++) {
    unsubs.push(
      client.onUpdate(
        "bench:item",
        { i },
        () => {
          if (++got === n) resolve();
        },
        fail,
      ),
    );
  }
});
await new Promise((r) => setTimeout(r, 50));
const after = settled();
emit({
  bench: "memory",
  n,
  heap_before: before.heap,
  heap_after: after.heap,
  rss_before: before.rss,
  rss_after: after.rss,
  external_before: before.external,
  external_after: after.external,
  heap_per_sub: (after.heap - before.heap) / n,
  rss_per_sub: (after.rss - before.rss) / n,
});
if (unsubs.length !== n) throw new Error("lost subscriptions");
process.exit(0);
