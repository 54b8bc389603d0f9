// The convex/react rows, each as user code run once against
// @goconvex/react and once against convex/react (1.48), over one convextest
// deployment; what the two render (or return) is compared.
import { Component, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ConvexError } from "convex/values";
import { makeFunctionReference } from "convex/server";
import * as official from "convex/react";
import { preloadQuery as officialPreloadQuery } from "convex/nextjs";
import * as ours from "../src/index.js";
import { clientOf, closeClients, convexUrl, helperUrl, mintToken, ourClient, unique } from "./helpers.js";

afterEach(async () => {
  cleanup();
  await closeClients();
});

const counter = makeFunctionReference<"query", { name: string }, number>("testing:counter");
const increment = makeFunctionReference<"mutation", { name: string }, number>("testing:increment");
const fail = makeFunctionReference<"query", { convexError: boolean }, null>("testing:fail");
const viewer = makeFunctionReference<"query", Record<string, never>, { name: string } | null>("users:viewer");
type Item = { _id: string; _creationTime: number; list: string; n: number; opt?: boolean };
const items = makeFunctionReference<"query", { list: string; paginationOpts: any }, { page: Item[]; isDone: boolean; continueCursor: string }>(
  "testing:items",
);
const addItem = makeFunctionReference<"mutation", { list: string; n: number }, string>("testing:addItem");

// The library under test, as user code sees it: convex/react's exports
// (ours must have the same names and shapes).
type Lib = typeof official;
const sides: Array<[string, Lib]> = [
  ["ours", ours as unknown as Lib],
  ["convex/react", official],
];

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
// The error's class, data and message (its first line, request id aside).
const describeError = (e: unknown) =>
  e instanceof Error
    ? `${e instanceof ConvexError ? "ConvexError" : "Error"}|${show((e as ConvexError<any>).data)}|${e.message
        .split("\n")[0]!
        .replace(/ ?\[Request ID: [0-9a-f]+\]/, "")}`
    : `not an Error: ${String(e)}`;

/** Resolves with the next call of a callback (a one-shot latch, no timers). */
function latch() {
  let resolve!: () => void;
  let p = new Promise<void>((r) => (resolve = r));
  return {
    hit: () => resolve(),
    next: () => p,
    reset: () => {
      p = new Promise<void>((r) => (resolve = r));
    },
  };
}

class Boundary extends Component<{ id: string; children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    return this.state.error ? <span data-testid={this.props.id}>{`thrown:${describeError(this.state.error)}`}</span> : this.props.children;
  }
}

function quietly<T>(fn: () => T): T {
  const quiet = console.error;
  console.error = () => {};
  try {
    return fn();
  } finally {
    console.error = quiet;
  }
}

describe("watchQuery returns a Watch (onUpdate, localQueryResult, journal)", () => {
  // What convex/react's Watch promises, driven the way an adapter
  // (e.g. @convex-dev/react-query) drives it.
  async function scenario(lib: Lib): Promise<string[]> {
    const client = clientOf(lib);
    const name = unique("watch");
    const log: string[] = [];
    const w = client.watchQuery(counter, { name });
    log.push(`before: ${show(w.localQueryResult())} journal ${show(w.journal())}`);
    const first = latch();
    const stop = w.onUpdate(() => {
      log.push(`w: ${show(w.localQueryResult())}`);
      first.hit();
    });
    await first.next();
    // A second watch of the same query sees the cached result at once, and
    // its callback waits for the next change.
    const w2 = client.watchQuery(counter, { name });
    log.push(`w2 at once: ${show(w2.localQueryResult())}`);
    const second = latch();
    const stop2 = w2.onUpdate(() => {
      log.push(`w2: ${show(w2.localQueryResult())}`);
      second.hit();
    });
    first.reset();
    await client.mutation(increment, { name });
    await Promise.all([first.next(), second.next()]);
    stop();
    stop2();
    // A failed query: localQueryResult throws its error.
    const wf = client.watchQuery(fail, { convexError: true });
    const failed = latch();
    const stopF = wf.onUpdate(failed.hit);
    await failed.next();
    try {
      log.push(`fail returned ${show(wf.localQueryResult())}`);
    } catch (e) {
      log.push(`fail threw ${describeError(e)}`);
    }
    stopF();
    return log;
  }

  it("behaves as convex/react's, step by step", async () => {
    const [mine, theirs] = [await scenario(ours as unknown as Lib), await scenario(official)];
    expect(theirs).toEqual([
      "before: undefined journal undefined",
      "w: 0",
      "w2 at once: 0",
      "w: 1",
      "w2: 1",
      'fail threw ConvexError|{"n":"3n","reason":"nope"}|[CONVEX Q(testing:fail)] Server Error',
    ]);
    expect(mine).toEqual(theirs);
  });

  it("feeds useSyncExternalStore as an adapter would, rendering what convex/react's does", async () => {
    const renders: Record<string, string[]> = { ours: [], "convex/react": [] };
    function Watched({ lib, side, name }: { lib: Lib; side: string; name: string }) {
      const client = lib.useConvex();
      const w = useMemo(() => client.watchQuery(counter, { name }), [client, name]);
      const subscribe = useMemo(() => (cb: () => void) => w.onUpdate(cb), [w]);
      const v = useSyncExternalStore(subscribe, () => w.localQueryResult());
      const text = v === undefined ? "loading" : String(v);
      if (renders[side]!.at(-1) !== text) renders[side]!.push(text);
      return <span data-testid={side}>{text}</span>;
    }
    const name = unique("adapter");
    render(
      <div>
        {sides.map(([side, lib]) => (
          <lib.ConvexProvider key={side} client={clientOf(lib)}>
            <Watched lib={lib} side={side} name={name} />
          </lib.ConvexProvider>
        ))}
      </div>,
    );
    for (const [side] of sides) await waitFor(() => expect(screen.getByTestId(side).textContent).toBe("0"));
    await ourClient().mutation(increment, { name });
    for (const [side] of sides) await waitFor(() => expect(screen.getByTestId(side).textContent).toBe("1"));
    expect(renders.ours).toEqual(renders["convex/react"]);
    expect(renders.ours).toEqual(["loading", "0", "1"]);
  });
});

describe("insertAtTop, insertAtPosition, insertAtBottomIfLoaded", () => {
  it("put the item where convex/react's put it, in each case", async () => {
    const list = unique("ins");
    const other = unique("other");
    const writer = ourClient();
    for (const n of [1, 2, 3, 4, 5]) await writer.mutation(addItem, { list, n });
    const item = (n: number): Item => ({ _id: `opt${n}`, _creationTime: n, list, n, opt: true });

    type Update = (store: any, lib: Lib) => void;
    const pending: Array<Promise<unknown>> = [];
    let update: Update = () => {};
    function Page({ lib, id }: { lib: Lib; id: string }) {
      const { results, status, loadMore } = lib.usePaginatedQuery(items, { list }, { initialNumItems: 2 });
      const mutate = lib.useMutation(addItem);
      const text = `${status}|${results.map((r: Item) => `${r.n}${r.opt ? "*" : ""}`).join(",")}`;
      return (
        <div>
          <span data-testid={id}>{text}</span>
          <button
            onClick={() => {
              const now = update; // this click's update, even if it runs again later
              pending.push(mutate.withOptimisticUpdate((store) => now(store, lib))({ list: other, n: 0 }));
            }}
          >{`add-${id}`}</button>
          <button onClick={() => loadMore(2)}>{`more-${id}`}</button>
        </div>
      );
    }
    render(
      <div>
        {sides.map(([side, lib]) => (
          <lib.ConvexProvider key={side} client={clientOf(lib)}>
            <Page lib={lib} id={side} />
          </lib.ConvexProvider>
        ))}
      </div>,
    );
    const both = async (want: string) => {
      for (const [side] of sides) await waitFor(() => expect(screen.getByTestId(side).textContent).toBe(want));
    };
    // Each case: the update shown at once, on both sides, then gone again
    // when the mutation (on another list) is reflected.
    const seen: Record<string, string[]> = { ours: [], "convex/react": [] };
    const step = async (label: string, u: Update, baseline: string) => {
      update = u;
      for (const [side] of sides) {
        act(() => fireEvent.click(screen.getByText(`add-${side}`)));
        seen[side]!.push(`${label} => ${screen.getByTestId(side).textContent}`);
      }
      await act(() => Promise.all(pending.splice(0)));
      await both(baseline);
    };
    const atTop = (n: number, argsToMatch?: object): Update => (s, lib) =>
      lib.insertAtTop({ paginatedQuery: items, localQueryStore: s, item: item(n), ...(argsToMatch ? { argsToMatch } : {}) } as any);
    const atBottom = (n: number): Update => (s, lib) => lib.insertAtBottomIfLoaded({ paginatedQuery: items, localQueryStore: s, item: item(n) });
    const at = (n: number, sortOrder: "asc" | "desc", asArray = false): Update => (s, lib) =>
      lib.insertAtPosition({
        paginatedQuery: items,
        argsToMatch: { list },
        sortOrder,
        sortKeyFromItem: (i: Item) => (asArray ? [i.n, i._creationTime] : i.n),
        localQueryStore: s,
        item: item(n),
      });

    await both("CanLoadMore|5,4");
    for (const [side] of sides) fireEvent.click(screen.getByText(`more-${side}`));
    let base = "CanLoadMore|5,4,3,2";
    await both(base);
    await step("top", atTop(9), base);
    await step("top, matching", atTop(9, { list }), base);
    await step("top, other list", atTop(9, { list: other }), base);
    await step("bottom, not loaded", atBottom(0), base);
    for (const n of [10, 5, 4.5, 4, 3.5, 2.5, 2, 1.5]) await step(`desc ${n}`, at(n, "desc"), base);
    await step("desc [3.5, t]", at(3.5, "desc", true), base);
    for (const [side] of sides) fireEvent.click(screen.getByText(`more-${side}`));
    base = "Exhausted|5,4,3,2,1";
    await both(base);
    await step("bottom, loaded", atBottom(0), base);
    for (const n of [1.5, 1, 0.5]) await step(`desc ${n}, all loaded`, at(n, "desc"), base);

    expect(seen.ours).toEqual(seen["convex/react"]);
    // What convex/react does, spelled out (so that a change there shows).
    expect(seen["convex/react"]).toEqual([
      "top => CanLoadMore|9*,5,4,3,2",
      "top, matching => CanLoadMore|9*,5,4,3,2",
      "top, other list => CanLoadMore|5,4,3,2",
      "bottom, not loaded => CanLoadMore|5,4,3,2",
      "desc 10 => CanLoadMore|10*,5,4,3,2",
      "desc 5 => CanLoadMore|5*,5,4,3,2",
      "desc 4.5 => CanLoadMore|5,4.5*,4,3,2",
      "desc 4 => CanLoadMore|5,4*,4,3,2",
      "desc 3.5 => CanLoadMore|5,4,3.5*,3,2",
      "desc 2.5 => CanLoadMore|5,4,3,2.5*,2",
      "desc 2 => CanLoadMore|5,4,3,2",
      "desc 1.5 => CanLoadMore|5,4,3,2",
      "desc [3.5, t] => CanLoadMore|5,4,3.5*,3,2",
      "bottom, loaded => Exhausted|5,4,3,2,1,0*",
      "desc 1.5, all loaded => Exhausted|5,4,3,2,1.5*,1",
      "desc 1, all loaded => Exhausted|5,4,3,2,1,1*",
      "desc 0.5, all loaded => Exhausted|5,4,3,2,1,0.5*",
    ]);
  });
});

describe("usePreloadedQuery with a preloadQuery run over the HTTP API", () => {
  it("renders the preloaded value at once, then the live one; either side's payload feeds either side's hook", async () => {
    const name = unique("preload");
    const writer = ourClient();
    await writer.mutation(increment, { name });
    const opts = { url: convexUrl(), skipConvexDeploymentUrlCheck: true };
    const payloads = {
      ours: await ours.preloadQuery(counter, { name }, opts),
      "convex/nextjs": await officialPreloadQuery(counter, { name }, opts),
    };
    // The same payload, field by field.
    expect(show(payloads.ours)).toBe(show(payloads["convex/nextjs"]));
    expect(ours.preloadedQueryResult(payloads["convex/nextjs"])).toBe(1);

    const firsts: Record<string, unknown> = {};
    function Show({ lib, id, preloaded }: { lib: Lib; id: string; preloaded: official.Preloaded<typeof counter> }) {
      const v = lib.usePreloadedQuery(preloaded);
      if (!(id in firsts)) firsts[id] = v;
      return <span data-testid={id}>{String(v)}</span>;
    }
    const ids: string[] = [];
    render(
      <div>
        {sides.map(([side, lib]) => (
          <lib.ConvexProvider key={side} client={clientOf(lib)}>
            {Object.entries(payloads).map(([from, p]) => {
              const id = `${side} hook, ${from} payload`;
              ids.push(id);
              return <Show key={from} lib={lib} id={id} preloaded={p} />;
            })}
          </lib.ConvexProvider>
        ))}
      </div>,
    );
    // Before any round trip: the preloaded value.
    for (const id of ids) expect(screen.getByTestId(id).textContent).toBe("1");
    await writer.mutation(increment, { name });
    for (const id of ids) await waitFor(() => expect(screen.getByTestId(id).textContent).toBe("2"));
    expect(firsts).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  });

  it("preloadQuery rejects as convex/nextjs's does when the query fails", async () => {
    const opts = { url: convexUrl(), skipConvexDeploymentUrlCheck: true };
    for (const convexError of [true, false]) {
      const mine = await ours.preloadQuery(fail, { convexError }, opts).catch((e: unknown) => e);
      const theirs = await officialPreloadQuery(fail, { convexError }, opts).catch((e: unknown) => e);
      expect(describeError(mine)).toBe(describeError(theirs));
    }
  });
});

describe("useQuery_experimental (useQuery's object form)", () => {
  it("returns pending, success or error as convex/react's, and throws with throwOnError", async () => {
    const name = unique("objform");
    function Probe({ lib, id, query, args, throwOnError }: { lib: Lib; id: string; query: any; args: any; throwOnError?: boolean }) {
      const r = lib.useQuery_experimental({ query, args, ...(throwOnError ? { throwOnError } : {}) }) as official.UseQueryResult<unknown>;
      const text = r.status === "success" ? `success:${show(r.data)}` : r.status === "error" ? `error:${describeError(r.error)}` : "pending";
      return <span data-testid={id}>{text}</span>;
    }
    const cases = {
      value: { query: counter, args: { name } },
      skip: { query: counter, args: "skip" },
      error: { query: fail, args: { convexError: true } },
      thrown: { query: fail, args: { convexError: false }, throwOnError: true },
    };
    quietly(() =>
      render(
        <div>
          {sides.map(([side, lib]) => (
            <lib.ConvexProvider key={side} client={clientOf(lib)}>
              {Object.entries(cases).map(([k, c]) => (
                <Boundary key={k} id={`${side} ${k}`}>
                  <Probe lib={lib} id={`${side} ${k}`} {...c} />
                </Boundary>
              ))}
            </lib.ConvexProvider>
          ))}
        </div>,
      ),
    );
    const text = (side: string) => Object.keys(cases).map((k) => screen.getByTestId(`${side} ${k}`).textContent);
    expect(text("ours")).toEqual(text("convex/react"));
    await quietly(() =>
      waitFor(() => {
        expect(text("convex/react")).toEqual([
          "success:0",
          "pending",
          'error:ConvexError|{"n":"3n","reason":"nope"}|[CONVEX Q(testing:fail)] Server Error',
          "thrown:Error|undefined|[CONVEX Q(testing:fail)] Server Error",
        ]);
        expect(text("ours")).toEqual(text("convex/react"));
      }),
    );
  });
});

describe("ConvexReactClient, url and logger", () => {
  it("is the class user code constructs, with the url it was given", async () => {
    const name = unique("alias");
    function Count({ lib, id }: { lib: Lib; id: string }) {
      const v = lib.useQuery(counter, { name });
      const client = lib.useConvex();
      return <span data-testid={id}>{`${client.url === convexUrl()}|${v ?? "loading"}`}</span>;
    }
    render(
      <div>
        {sides.map(([side, lib]) => {
          // clientOf: new lib.ConvexReactClient(url, options)
          const client = clientOf(lib, { unsavedChangesWarning: false });
          return (
            <lib.ConvexProvider key={side} client={client}>
              <span data-testid={`${side} url`}>{`${client.url}|${client instanceof lib.ConvexReactClient}`}</span>
              <Count lib={lib} id={side} />
            </lib.ConvexProvider>
          );
        })}
      </div>,
    );
    for (const [side] of sides) await waitFor(() => expect(screen.getByTestId(side).textContent).toBe("true|0"));
    expect(screen.getByTestId("ours url").textContent).toBe(screen.getByTestId("convex/react url").textContent);
    expect(screen.getByTestId("ours url").textContent).toBe(`${convexUrl()}|true`);
  });

  it("logs as convex/react: verbose lines on the console only with verbose; a logger gets every line, the console none", async () => {
    const outcome: Record<string, string> = {};
    for (const [side, lib] of sides) {
      const consoleCalls: Record<string, number> = { log: 0, warn: 0, error: 0, debug: 0, info: 0 };
      const saved = { ...console };
      for (const k of Object.keys(consoleCalls) as Array<"log" | "warn" | "error" | "debug" | "info">) {
        console[k] = () => void consoleCalls[k]!++;
      }
      const counts = () => Object.entries(consoleCalls).map(([k, n]) => `${k} ${n > 0 ? "some" : "none"}`).join(", ");
      const reset = () => Object.keys(consoleCalls).forEach((k) => (consoleCalls[k] = 0));
      try {
        for (const verbose of [false, true]) {
          const client = clientOf(lib, { verbose, unsavedChangesWarning: false });
          await client.query(counter, { name: "x" });
          await client.close(); // (a verbose client keeps logging)
          outcome[`${side}, verbose ${verbose}: console`] = counts();
          reset();
        }
        const calls: Record<string, number> = { logVerbose: 0, log: 0, warn: 0, error: 0 };
        const logger = Object.fromEntries(Object.keys(calls).map((k) => [k, () => void calls[k]!++]));
        const client = clientOf(lib, { logger, unsavedChangesWarning: false });
        await client.query(counter, { name: "x" });
        outcome[`${side}, a logger: console`] = counts();
        outcome[`${side}, a logger`] = `logVerbose ${calls.logVerbose! > 0 ? "some" : "none"}, client.logger is it: ${client.logger === logger}`;
        reset();
        const silent = clientOf(lib, { logger: false, unsavedChangesWarning: false });
        await silent.query(counter, { name: "x" });
        await silent.mutation("testing:failMutation" as any, { convexError: true }).catch(() => {});
        outcome[`${side}, logger false: console`] = counts();
      } finally {
        Object.assign(console, saved);
      }
    }
    const none = "log none, warn none, error none, debug none, info none";
    const expected = (side: string) => ({
      [`${side}, verbose false: console`]: none,
      [`${side}, verbose true: console`]: "log none, warn none, error none, debug some, info none",
      [`${side}, a logger: console`]: none,
      [`${side}, a logger`]: "logVerbose some, client.logger is it: true",
      [`${side}, logger false: console`]: none,
    });
    expect(outcome).toEqual({ ...expected("ours"), ...expected("convex/react") });
  });

  it("hands the Go client's lines (a dropped connection) to the logger", async () => {
    const lines: string[] = [];
    const rec = (level: string) => (...a: unknown[]) => void lines.push(`${level}: ${a.map(String).join(" ")}`);
    const client = clientOf(ours as unknown as Lib, {
      logLevel: "info",
      logger: { logVerbose: rec("verbose"), log: rec("log"), warn: rec("warn"), error: rec("error") },
      unsavedChangesWarning: false,
    });
    await client.query(counter, { name: "x" });
    await fetch(`${helperUrl()}/control/drop`);
    await waitFor(() => expect(lines.some((l) => l.includes("convex: connection"))).toBe(true));
  });
});

describe("unsavedChangesWarning", () => {
  const leave = () => {
    const e = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented && typeof (e as { returnValue?: unknown }).returnValue === "string" ? "asks" : "lets go";
  };
  async function scenario(lib: Lib, options: { unsavedChangesWarning?: boolean }): Promise<string[]> {
    const client = clientOf(lib, options);
    await client.query(counter, { name: "connected" });
    const seen = [`idle: ${leave()}`];
    const m = client.mutation(increment, { name: unique("unsaved") });
    seen.push(`mutation in flight: ${leave()}`);
    await m;
    seen.push(`mutation done: ${leave()}`);
    const a = client.action("testing:echoAction" as any, {});
    seen.push(`action in flight: ${leave()}`);
    await a;
    seen.push(`action done: ${leave()}`);
    await client.close();
    return seen;
  }
  it("asks before leaving while writes are in flight, by default in a browser; not when off", async () => {
    for (const options of [{}, { unsavedChangesWarning: true }, { unsavedChangesWarning: false }]) {
      const theirs = await scenario(official, options);
      const mine = await scenario(ours as unknown as Lib, options);
      expect(mine).toEqual(theirs);
      const on = !("unsavedChangesWarning" in options) || options.unsavedChangesWarning;
      expect(theirs.filter((s) => s.endsWith("asks")).length).toBe(on ? 2 : 0);
    }
  });
});

describe("expectAuth", () => {
  // The viewer query, rendered under a client that holds requests until the
  // first token settles; setAuth comes late: once the client's socket is
  // up and another client made a round trip, so that a query not held back
  // would have been answered (signed out) by then.
  async function scenario(lib: Lib, side: string, token: () => Promise<string | null>): Promise<string[]> {
    const client = clientOf(lib, { expectAuth: true, unsavedChangesWarning: false });
    const renders: string[] = [];
    function Viewer() {
      const v = lib.useQuery(viewer, {});
      const text = v === undefined ? "…" : v === null ? "nobody" : v.name;
      if (renders.at(-1) !== text) renders.push(text);
      return <span data-testid={side}>{text}</span>;
    }
    const view = render(
      <lib.ConvexProvider client={client}>
        <Viewer />
      </lib.ConvexProvider>,
    );
    await new Promise<void>((resolve) => {
      const stop = client.subscribeToConnectionState((s: { isWebSocketConnected: boolean }) => {
        if (s.isWebSocketConnected) resolve();
      });
      if (client.connectionState().isWebSocketConnected) resolve();
      void stop;
    });
    await ourClient().query(counter, { name: "x" }); // a round trip elsewhere
    client.setAuth(token);
    await waitFor(() => expect(renders.at(-1)).not.toBe("…"));
    view.unmount();
    return renders;
  }
  it("holds queries until the first token settles: the viewer never renders signed out", async () => {
    const cases: Array<[string, () => Promise<string | null>, string[]]> = [
      ["a token", () => mintToken("user_expect", "Ada Expect"), ["…", "Ada Expect"]],
      ["no token", async () => null, ["…", "nobody"]],
    ];
    for (const [label, token, want] of cases) {
      const theirs = await scenario(official, "convex/react", token);
      const mine = await scenario(ours as unknown as Lib, "ours", token);
      expect({ label, renders: mine }).toEqual({ label, renders: theirs });
      expect(theirs).toEqual(want);
    }
  });
});
