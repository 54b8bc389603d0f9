// usePaginatedQuery's state changes, one at a time, over a scripted
// deployment: a stand-in for ConvexWasmClient.watchQuery (its Watch) whose results the
// test sets, and which records the subscriptions the hook holds. (The
// black-box comparison with convex/react's hook over a real deployment is
// in paginated.test.tsx.)
import { Component, useLayoutEffect, useState, type ReactNode } from "react";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Value } from "convex/values";
import { ConvexProvider, usePaginatedQuery, type ConvexWasmClient, type UsePaginatedQueryResult } from "../src/index.js";

/** A scripted result: a value, or the error the query failed with. */
type QueryResult = { value: Value } | { error: Error };

afterEach(() => cleanup());

type Opts = { numItems: number; cursor: string | null; endCursor?: string };

/** A deployment the test scripts: results are set per paginationOpts. */
class Script {
  private readonly results = new Map<string, QueryResult>();
  private readonly listeners = new Map<string, Set<() => void>>();
  /** Every subscription ever made, in order, as "args|opts". */
  readonly history: string[] = [];

  private static token(args: Record<string, Value>): string {
    return JSON.stringify(args);
  }

  /** The shape ConvexProvider wants; the hooks only call watchQuery. */
  client(): ConvexWasmClient {
    return { watchQuery: (_name: string, args: Record<string, Value>) => this.watch(args) } as unknown as ConvexWasmClient;
  }

  private watch(args: Record<string, Value>) {
    const token = Script.token(args);
    return {
      onUpdate: (l: () => void) => {
        let set = this.listeners.get(token);
        if (set === undefined) {
          set = new Set();
          this.listeners.set(token, set);
          this.history.push(token);
        }
        const fn = () => l();
        set.add(fn);
        return () => {
          set.delete(fn);
          // As the real client: the subscription and its result go a
          // microtask after the last listener, unless one comes back.
          queueMicrotask(() => {
            if (set.size === 0 && this.listeners.get(token) === set) {
              this.listeners.delete(token);
              this.results.delete(token);
            }
          });
        };
      },
      localQueryResult: () => {
        const r = this.results.get(token);
        if (r !== undefined && "error" in r) throw r.error;
        return r?.value;
      },
      journal: () => undefined,
    };
  }

  /** The paginationOpts of the subscriptions held now (with args other than paginationOpts when asked). */
  live(withArgs = false): string[] {
    return [...this.listeners.keys()].map((t) => {
      const { paginationOpts, ...rest } = JSON.parse(t) as { paginationOpts: Opts };
      const o = JSON.stringify(paginationOpts);
      return withArgs ? `${JSON.stringify(rest)}${o}` : o;
    });
  }

  /** Sets the result of the subscription with these paginationOpts (and args), and tells its listeners. */
  set(opts: Opts, result: QueryResult, args: Record<string, Value> = { list: "a" }) {
    const token = Script.token({ ...args, paginationOpts: opts as unknown as Value });
    if (!this.listeners.has(token)) {
      throw new Error(`no subscription ${token}; live: ${this.live(true).join(" ")}`);
    }
    act(() => {
      this.results.set(token, result);
      for (const l of [...this.listeners.get(token)!]) l();
    });
  }
}

const page = (ns: number[], continueCursor: string, more: Partial<{ isDone: boolean; splitCursor: string | null; pageStatus: string | null }> = {}): QueryResult => ({
  value: { page: ns.map((n) => ({ n })), isDone: false, continueCursor, splitCursor: null, pageStatus: null, ...more },
});

const first = (numItems: number): Opts => ({ numItems, cursor: null });

let hook: UsePaginatedQueryResult<{ n: number }>;
/** What each commit showed, as status|isLoading|items. */
let shown: string[];

function List({ args, size }: { args: Record<string, Value> | "skip"; size: number }) {
  const r = usePaginatedQuery("items:list", args, { initialNumItems: size }) as UsePaginatedQueryResult<{ n: number }>;
  hook = r;
  const text = `${r.status}|${r.isLoading}|${r.results.map((x) => x.n).join(",")}`;
  useLayoutEffect(() => {
    shown.push(text);
  });
  return <span data-testid="list">{text}</span>;
}

function mount(s: Script, args: Record<string, Value> | "skip" = { list: "a" }, size = 2) {
  shown = [];
  let setArgs!: (a: Record<string, Value> | "skip") => void;
  function Host() {
    const [a, set] = useState<Record<string, Value> | "skip">(args);
    setArgs = set;
    return <List args={a} size={size} />;
  }
  render(
    <ConvexProvider client={s.client()}>
      <Host />
    </ConvexProvider>,
  );
  return { change: (a: Record<string, Value> | "skip") => act(() => setArgs(a)) };
}

const text = () => screen.getByTestId("list").textContent;

describe("usePaginatedQuery, step by step", () => {
  it("subscribes to the first page with initialNumItems and cursor null, then to each loaded page", async () => {
    const s = new Script();
    mount(s, { list: "a" }, 3);
    expect(s.live(true)).toEqual(['{"list":"a"}{"numItems":3,"cursor":null}']);
    expect(text()).toBe("LoadingFirstPage|true|");
    s.set(first(3), page([9, 8, 7], "c1"));
    expect(text()).toBe("CanLoadMore|false|9,8,7");
    act(() => hook.loadMore(4));
    expect(s.live()).toEqual(['{"numItems":3,"cursor":null}', '{"numItems":4,"cursor":"c1"}']);
    expect(text()).toBe("LoadingMore|true|9,8,7");
    s.set({ numItems: 4, cursor: "c1" }, page([6, 5], "end", { isDone: true }));
    expect(text()).toBe("Exhausted|false|9,8,7,6,5");
  });

  it("loadMore does nothing while a page loads, when exhausted, or twice for one page", async () => {
    const s = new Script();
    mount(s);
    act(() => hook.loadMore(5)); // the first page is loading
    expect(s.live()).toEqual(['{"numItems":2,"cursor":null}']);

    s.set(first(2), page([4, 3], "c1"));
    const loadMore = hook.loadMore;
    act(() => {
      loadMore(2);
      loadMore(2); // the same (now stale) loadMore again, before a render
    });
    expect(s.live()).toEqual(['{"numItems":2,"cursor":null}', '{"numItems":2,"cursor":"c1"}']);
    act(() => hook.loadMore(2)); // the second page is loading
    expect(s.live()).toHaveLength(2);

    s.set({ numItems: 2, cursor: "c1" }, page([2, 1], "end", { isDone: true }));
    expect(text()).toBe("Exhausted|false|4,3,2,1");
    act(() => hook.loadMore(2));
    expect(s.live()).toHaveLength(2);
    expect(text()).toBe("Exhausted|false|4,3,2,1");
  });

  it("splits a page the server asks to split, and one past twice its size, without the results changing", async () => {
    const s = new Script();
    mount(s);
    s.set(first(2), page([5, 4], "c1"));
    // A splitCursor alone is no reason to split.
    s.set(first(2), page([5, 4], "c1", { splitCursor: "s0" }));
    expect(s.live()).toEqual(['{"numItems":2,"cursor":null}']);

    // Five items on a page of two: split at s1.
    const from = shown.length;
    s.set(first(2), page([9, 8, 7, 6, 5, 4].slice(1), "c1", { splitCursor: "s1" }));
    const a = { numItems: 2, cursor: null, endCursor: "s1" };
    const b = { numItems: 2, cursor: "s1", endCursor: "c1" };
    expect(s.live()).toEqual([JSON.stringify(first(2)), JSON.stringify(a), JSON.stringify(b)]);
    s.set(a, page([8, 7], "s1"));
    expect(s.live()).toHaveLength(3); // the old page stays until both halves are in
    s.set(b, page([6, 5, 4], "c1"));
    await act(async () => {}); // the microtask that drops the old subscription
    expect(s.live()).toEqual([JSON.stringify(a), JSON.stringify(b)]);
    expect(new Set(shown.slice(from))).toEqual(new Set(["CanLoadMore|false|8,7,6,5,4"]));

    // The server asks for a split of a small page (pageStatus), of the last page too.
    const from2 = shown.length;
    act(() => hook.loadMore(3));
    const c = { numItems: 3, cursor: "c1" };
    s.set(c, page([3, 2], "c2", { splitCursor: "s2", pageStatus: "SplitRequired" }));
    const c1 = { numItems: 3, cursor: "c1", endCursor: "s2" };
    const c2 = { numItems: 3, cursor: "s2", endCursor: "c2" };
    expect(s.live()).toContain(JSON.stringify(c1));
    expect(s.live()).toContain(JSON.stringify(c2));
    s.set(c2, page([2], "c2"));
    s.set(c1, page([3], "s2"));
    await act(async () => {});
    expect(s.live()).not.toContain(JSON.stringify(c));
    expect(text()).toBe("CanLoadMore|false|8,7,6,5,4,3,2");
    expect(new Set(shown.slice(from2))).toEqual(new Set(["LoadingMore|true|8,7,6,5,4", "CanLoadMore|false|8,7,6,5,4,3,2"]));
  });

  it("starts over from the first page when a cursor is rejected with InvalidCursor", async () => {
    const s = new Script();
    mount(s);
    s.set(first(2), page([4, 3], "c1"));
    act(() => hook.loadMore(2));
    s.set({ numItems: 2, cursor: "c1" }, page([2, 1], "c2"));
    act(() => hook.loadMore(2));
    expect(s.live()).toHaveLength(3);
    s.set({ numItems: 2, cursor: "c1" }, { error: new Error("[CONVEX Q(items:list)] InvalidCursor: the cursor is from another index") });
    await act(async () => {});
    expect(s.live()).toEqual([JSON.stringify(first(2))]);
    expect(text()).toBe("CanLoadMore|false|4,3");
    expect(shown.every((t) => !t.includes("InvalidCursor"))).toBe(true);
  });

  it("throws any other failure to the error boundary", async () => {
    const s = new Script();
    class Boundary extends Component<{ children: ReactNode }, { error: string | null }> {
      override state = { error: null as string | null };
      static getDerivedStateFromError(e: Error) {
        return { error: e.message };
      }
      override render() {
        return this.state.error ? <span data-testid="err">{this.state.error}</span> : this.props.children;
      }
    }
    shown = [];
    render(
      <ConvexProvider client={s.client()}>
        <Boundary>
          <List args={{ list: "a" }} size={2} />
        </Boundary>
      </ConvexProvider>,
    );
    const quiet = console.error;
    console.error = () => {};
    try {
      s.set(first(2), { error: new Error("[CONVEX Q(items:list)] Uncaught Error: no access") });
    } finally {
      console.error = quiet;
    }
    expect(screen.getByTestId("err").textContent).toContain("no access");
  });

  it("starts a new list for new arguments, and subscribes to nothing when skipped", async () => {
    const s = new Script();
    const { change } = mount(s);
    s.set(first(2), page([4, 3], "c1"));
    act(() => hook.loadMore(2));
    s.set({ numItems: 2, cursor: "c1" }, page([2, 1], "end", { isDone: true }));
    expect(text()).toBe("Exhausted|false|4,3,2,1");

    change({ list: "b" });
    await act(async () => {});
    expect(s.live(true)).toEqual(['{"list":"b"}{"numItems":2,"cursor":null}']);
    expect(text()).toBe("LoadingFirstPage|true|");
    s.set(first(2), page([7], "end", { isDone: true }), { list: "b" });
    expect(text()).toBe("Exhausted|false|7");

    change("skip");
    await act(async () => {});
    expect(s.live()).toEqual([]);
    expect(text()).toBe("LoadingFirstPage|true|");
    act(() => hook.loadMore(2));
    expect(s.live()).toEqual([]);

    // Back to the first list: from its first page again.
    change({ list: "a" });
    expect(s.live(true)).toEqual(['{"list":"a"}{"numItems":2,"cursor":null}']);
  });

  for (const bad of [0, -1, Number.NaN, undefined, "2"]) {
    it(`rejects initialNumItems ${String(bad)}`, () => {
      function Bad() {
        usePaginatedQuery("items:list", {}, { initialNumItems: bad as number });
        return null;
      }
      const quiet = console.error;
      console.error = () => {};
      try {
        expect(() => render(<ConvexProvider client={new Script().client()}><Bad /></ConvexProvider>)).toThrow(
          `\`options.initialNumItems\` must be a positive number. Received \`${String(bad)}\`.`,
        );
      } finally {
        console.error = quiet;
      }
    });
  }
});
