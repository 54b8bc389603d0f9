// Shared helpers of the JS side of the benchmarks. Each script gets its
// parameters as one JSON argument and prints JSON lines {"bench": ...} on
// stdout, the lines the Go workers print (bench/cmd/bench/worker.go).
import WebSocket from "ws";
import { ConvexClient } from "convex/browser";

/** CLOCK_MONOTONIC in nanoseconds: the clock Go's unix.ClockGettime reads. */
export const now = () => Number(process.hrtime.bigint());

export const params = JSON.parse(process.argv[2] ?? "{}");

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile, as the Go side computes it. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const k = Math.ceil((s.length * p) / 100 - 1e-6) - 1;
  return s[Math.max(0, Math.min(k, s.length - 1))];
}

/** The official client over `ws`, as an app in node would make it. */
export function newClient(url, webSocketConstructor = WebSocket) {
  return new ConvexClient(url, { webSocketConstructor, unsavedChangesWarning: false });
}

export function fail(e) {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
}
process.on("unhandledRejection", fail);
