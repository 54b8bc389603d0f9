// B3, JS side: ConvexClient.mutation of bench:echo, sequentially (latency),
// interleaved in blocks of 100 with round trips of the same message through
// the echo server on a plain `ws` client (the floor, under the same host
// conditions); then all at once (throughput): 1,000 (within the server's
// per-connection queue) and `pipe`, each bounded by a 30 s deadline; then
// `pipe` pipelined echoes.
import WebSocket from "ws";
import { emit, median, newClient, now, params, percentile } from "./common.mjs";

const { url, echo: echoUrl, payload, warmup = 200, seq = 2000, pipe = 10000 } = params;
const block = 100;
const smallPipe = 1000;
const deadlineMs = 30_000;
const client = newClient(url);

const ws = new WebSocket(echoUrl);
await new Promise((resolve, reject) => {
  ws.once("open", resolve);
  ws.once("error", reject);
});
let waiter = null;
ws.on("message", (data) => waiter(data));
async function roundTrip() {
  const got = await new Promise((resolve) => {
    waiter = resolve;
    ws.send(payload);
  });
  if (got.length !== payload.length) throw new Error(`echo: got ${got.length} bytes back`);
}

async function call(i) {
  const got = await client.mutation("bench:echo", { n: i });
  if (got !== i) throw new Error(`mutation ${i} returned ${got}`);
}

async function pipelined(n) {
  let done = 0;
  let timer;
  const t0 = now();
  const all = Promise.all(Array.from({ length: n }, (_, i) => call(i).then(() => done++)));
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
  clearTimeout(timer);
  return { done, elapsed: now() - t0 };
}

for (let i = 0; i < warmup; i++) {
  await call(i);
  await roundTrip();
}
const lat = [];
const echoLat = [];
for (let i = 0; i < seq; i += block) {
  for (let j = i; j < Math.min(i + block, seq); j++) {
    const t0 = now();
    await call(j);
    lat.push(now() - t0);
  }
  for (let j = i; j < Math.min(i + block, seq); j++) {
    const t0 = now();
    await roundTrip();
    echoLat.push(now() - t0);
  }
}
const small = await pipelined(smallPipe);
const big = await pipelined(pipe);

const e0 = now();
await new Promise((resolve) => {
  let left = pipe;
  waiter = () => {
    if (--left === 0) resolve();
  };
  for (let i = 0; i < pipe; i++) ws.send(payload);
});
const echoElapsed = now() - e0;

emit({
  bench: "mutations",
  p50_ns: median(lat),
  p99_ns: percentile(lat, 99),
  small: small.done,
  small_ns: small.elapsed,
  small_per_sec: small.done / (small.elapsed / 1e9),
  pipelined: pipe,
  pipelined_done: big.done,
  pipelined_ns: big.elapsed,
  per_sec: big.done / (big.elapsed / 1e9),
  connections: client.connectionState().connectionCount,
  echo_p50_ns: median(echoLat),
  echo_p99_ns: percentile(echoLat, 99),
  echo_per_sec: pipe / (echoElapsed / 1e9),
});
process.exit(0);
