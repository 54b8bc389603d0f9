// The React bindings over the real wasm client and a convextest deployment.
import { Component, StrictMode, useState, type ReactNode } from "react";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ConvexError } from "convex/values";
import { makeFunctionReference } from "convex/server";
import {
  AuthLoading,
  Authenticated,
  ConvexProvider,
  ConvexProviderWithAuth,
  ConvexProviderWithAuthKit,
  Unauthenticated,
  useAction,
  useConvexAuth,
  useMutation,
  useQuery,
  useQueries,
  type ConvexWasmClient,
} from "../src/index.js";
import { eventually, mintToken, newClient, stats, unique } from "./helpers.js";

const clients: ConvexWasmClient[] = [];
function client(): ConvexWasmClient {
  const c = newClient();
  clients.push(c);
  return c;
}

afterEach(async () => {
  cleanup();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await eventually(async () => (await stats()).connections === 0);
});

class Boundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    const e = this.state.error;
    if (e) {
      const data = e instanceof ConvexError ? JSON.stringify(e.data, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) : "";
      return <div data-testid="error">{`${e.name}|${data}|${e.message.split("\n")[0]}`}</div>;
    }
    return this.props.children;
  }
}

function Counter({ name }: { name: string }) {
  const value = useQuery("testing:counter", { name });
  const increment = useMutation("testing:increment");
  return (
    <div>
      <span data-testid="value">{value === undefined ? "loading" : String(value)}</span>
      <button onClick={() => void increment({ name })}>inc</button>
    </div>
  );
}

describe("ConvexWasmClient", () => {
  it("runs queries, mutations and actions with Convex values", async () => {
    const c = client();
    const args = { n: 1n << 60n, b: new Uint8Array([1, 2, 3]).buffer, s: "hé", f: 1.5, nested: { a: [1, null, true] } };
    const echo = makeFunctionReference<"query">("testing:echo");
    for (const out of [
      await c.query(echo, args),
      await c.mutation("testing:echoMutation", args),
      await c.action("testing:echoAction", args),
    ]) {
      expect(out.n).toBe(1n << 60n);
      expect(new Uint8Array(out.b)).toEqual(new Uint8Array([1, 2, 3]));
      expect(out.s).toBe("hé");
      expect(out.nested).toEqual({ a: [1, null, true] });
    }
  });

  it("rejects with ConvexError carrying data, or Error", async () => {
    const c = client();
    const e = await c.mutation("testing:failMutation", { convexError: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConvexError);
    expect((e as ConvexError<any>).data).toEqual({ reason: "nope", n: 3n });
    expect((e as Error).message).toMatch(/^\[CONVEX M\(testing:failMutation\)\] /);
    const e2 = await c.action("testing:failAction", {}).catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(Error);
    expect(e2).not.toBeInstanceOf(ConvexError);
    expect((e2 as Error).message).toContain("boom");
  });

  it("onUpdate delivers the current value then changes, and unsubscribes", async () => {
    const c = client();
    const name = unique("onupdate");
    const seen: number[] = [];
    const un = c.onUpdate("testing:counter", { name }, (v: number) => seen.push(v));
    await eventually(() => seen.length === 1);
    await c.mutation("testing:increment", { name });
    await eventually(() => seen.length === 2);
    expect(seen).toEqual([0, 1]);
    expect(un.getCurrentValue()).toBe(1);
    un();
    await eventually(async () => (await stats()).subscriptions === 0);
  });
});

describe("useQuery", () => {
  it("is undefined while loading, then follows the query", async () => {
    const c = client();
    render(
      <ConvexProvider client={c}>
        <Counter name={unique("counter")} />
      </ConvexProvider>,
    );
    expect(screen.getByTestId("value").textContent).toBe("loading");
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("0"));
    fireEvent.click(screen.getByText("inc"));
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("1"));
    fireEvent.click(screen.getByText("inc"));
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("2"));
  });

  it("throws a failed query to the error boundary", async () => {
    const c = client();
    function Failing() {
      useQuery("testing:fail", { convexError: true });
      return <span>no error?</span>;
    }
    const quiet = console.error;
    console.error = () => {}; // React logs caught errors
    try {
      render(
        <ConvexProvider client={c}>
          <Boundary>
            <Failing />
          </Boundary>
        </ConvexProvider>,
      );
      await waitFor(() => screen.getByTestId("error"));
    } finally {
      console.error = quiet;
    }
    expect(screen.getByTestId("error").textContent).toBe(
      'ConvexError|{"n":"3n","reason":"nope"}|[CONVEX Q(testing:fail)] [Request ID: ' +
        screen.getByTestId("error").textContent!.split("[Request ID: ")[1],
    );
  });

  it('subscribes to nothing with "skip"', async () => {
    const c = client();
    function Skipped() {
      const v = useQuery("testing:counter", "skip");
      return <span data-testid="skipped">{v === undefined ? "undefined" : "value"}</span>;
    }
    render(
      <ConvexProvider client={c}>
        <Skipped />
      </ConvexProvider>,
    );
    await c.query("testing:echo", {}); // the socket is up and quiet
    expect(screen.getByTestId("skipped").textContent).toBe("undefined");
    expect((await stats()).subscriptions).toBe(0);
  });

  it("unsubscribes on unmount and when arguments change", async () => {
    const c = client();
    function Toggle() {
      const [n, setN] = useState(0);
      return (
        <div>
          <button onClick={() => setN((x) => x + 1)}>next</button>
          {n < 2 ? <Counter name={`toggle-${n}`} /> : <span>gone</span>}
        </div>
      );
    }
    render(
      <ConvexProvider client={c}>
        <Toggle />
      </ConvexProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("value").textContent).not.toBe("loading"));
    expect((await stats()).subscriptions).toBe(1);
    fireEvent.click(screen.getByText("next")); // new arguments: a new query replaces the old one
    await waitFor(() => expect(screen.getByTestId("value").textContent).not.toBe("loading"));
    await eventually(async () => (await stats()).subscriptions === 1);
    fireEvent.click(screen.getByText("next")); // unmounted
    await eventually(async () => (await stats()).subscriptions === 0);
  });

  it("survives StrictMode's double effects with one subscription", async () => {
    const c = client();
    const name = unique("strict");
    const view = render(
      <StrictMode>
        <ConvexProvider client={c}>
          <Counter name={name} />
        </ConvexProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("0"));
    expect((await stats()).subscriptions).toBe(1);
    fireEvent.click(screen.getByText("inc"));
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("1"));
    view.unmount();
    await eventually(async () => (await stats()).subscriptions === 0);
  });

  it("shares one subscription; a later component renders the cached value at once", async () => {
    const c = client();
    const name = unique("shared");
    function Two() {
      const [second, setSecond] = useState(false);
      return (
        <div>
          <Counter name={name} />
          <button onClick={() => setSecond(true)}>second</button>
          {second ? <Late name={name} /> : null}
        </div>
      );
    }
    const firstRenders: unknown[] = [];
    function Late({ name }: { name: string }) {
      const v = useQuery("testing:counter", { name });
      firstRenders.push(v);
      return <span data-testid="late">{String(v)}</span>;
    }
    render(
      <ConvexProvider client={c}>
        <Two />
      </ConvexProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("value").textContent).toBe("0"));
    fireEvent.click(screen.getByText("second"));
    expect(screen.getByTestId("late").textContent).toBe("0");
    expect(firstRenders[0]).toBe(0); // no loading flash
    expect((await stats()).subscriptions).toBe(1);
  });

  it("throws outside a ConvexProvider", () => {
    function Orphan() {
      useQuery("testing:echo", {});
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Orphan />)).toThrow(/Could not find Convex client/);
    } finally {
      console.error = quiet;
    }
  });
});

describe("useQueries", () => {
  it("gives each key its value, undefined while loading, or its Error; unsubscribes on unmount", async () => {
    const c = client();
    const a = unique("qa");
    const b = unique("qb");
    const renders: Array<Record<string, unknown>> = [];
    function Many({ names }: { names: string[] }) {
      const request: Record<string, { query: string; args: Record<string, string | boolean> }> = {};
      for (const n of names) request[n] = { query: "testing:counter", args: { name: n } };
      request.failing = { query: "testing:fail", args: { convexError: true } };
      const results = useQueries(request);
      renders.push(results);
      const show = (v: unknown) => (v === undefined ? "loading" : v instanceof Error ? `error:${v.name}` : String(v));
      return (
        <div>
          {[...names, "failing"].map((n) => (
            <span key={n} data-testid={n}>
              {show(results[n])}
            </span>
          ))}
        </div>
      );
    }
    function Host() {
      const [names, setNames] = useState([a]);
      const [shown, setShown] = useState(true);
      return (
        <div>
          <button onClick={() => setNames([a, b])}>more</button>
          <button onClick={() => setShown(false)}>hide</button>
          {shown ? <Many names={names} /> : null}
        </div>
      );
    }
    render(
      <ConvexProvider client={c}>
        <Host />
      </ConvexProvider>,
    );
    expect(renders[0]).toEqual({ [a]: undefined, failing: undefined });
    await waitFor(() => expect(screen.getByTestId(a).textContent).toBe("0"));
    await waitFor(() => expect(screen.getByTestId("failing").textContent).toBe("error:ConvexError"));
    expect((await stats()).subscriptions).toBe(2);
    // A re-render with an equal request keeps the result object and the subscriptions.
    const before = renders.length;
    fireEvent.click(screen.getByText("more"));
    await waitFor(() => expect(screen.getByTestId(b).textContent).toBe("0"));
    expect(renders.length).toBeGreaterThan(before);
    await eventually(async () => (await stats()).subscriptions === 3);
    await c.mutation("testing:increment", { name: b });
    await waitFor(() => expect(screen.getByTestId(b).textContent).toBe("1"));
    expect(screen.getByTestId(a).textContent).toBe("0");
    fireEvent.click(screen.getByText("hide"));
    await eventually(async () => (await stats()).subscriptions === 0);
  });

  it("returns the same object until a result changes", async () => {
    const c = client();
    const name = unique("stable");
    const seen: Array<Record<string, unknown>> = [];
    function One({ tick }: { tick: number }) {
      const r = useQueries({ x: { query: "testing:counter", args: { name } } });
      seen.push(r);
      return <span data-testid="one">{`${tick}:${r.x === undefined ? "loading" : String(r.x)}`}</span>;
    }
    function Ticker() {
      const [tick, setTick] = useState(0);
      return (
        <div>
          <button onClick={() => setTick((t) => t + 1)}>tick</button>
          <One tick={tick} />
        </div>
      );
    }
    render(
      <ConvexProvider client={c}>
        <Ticker />
      </ConvexProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("one").textContent).toBe("0:0"));
    const loaded = seen[seen.length - 1];
    fireEvent.click(screen.getByText("tick"));
    await waitFor(() => expect(screen.getByTestId("one").textContent).toBe("1:0"));
    expect(seen[seen.length - 1]).toBe(loaded);
    expect((await stats()).subscriptions).toBe(1);
  });
});

describe("useMutation and useAction", () => {
  it("return stable functions; failures reject with ConvexError", async () => {
    const c = client();
    const seen: unknown[] = [];
    let identities = new Set<unknown>();
    function Buttons() {
      const fail = useMutation("testing:failMutation");
      const act = useAction("testing:echoAction");
      const [, rerender] = useState(0);
      identities.add(fail);
      return (
        <div>
          <button
            onClick={() => {
              fail({ convexError: true }).catch((e: unknown) => seen.push(e));
              act({ x: 2n }).then((v) => seen.push(v));
              rerender((n) => n + 1);
            }}
          >
            go
          </button>
        </div>
      );
    }
    render(
      <ConvexProvider client={c}>
        <Buttons />
      </ConvexProvider>,
    );
    fireEvent.click(screen.getByText("go"));
    await eventually(() => seen.length === 2);
    expect(identities.size).toBe(1);
    const err = seen.find((x) => x instanceof Error) as ConvexError<any>;
    expect(err).toBeInstanceOf(ConvexError);
    expect(err.data).toEqual({ reason: "nope", n: 3n });
    expect(seen).toContainEqual({ x: 2n });
    identities = new Set();
  });
});

describe("ConvexProviderWithAuth", () => {
  type AuthHook = { isLoading: boolean; isAuthenticated: boolean; fetchAccessToken: (a: { forceRefreshToken: boolean }) => Promise<string | null> };

  function Status() {
    const { isLoading, isAuthenticated } = useConvexAuth();
    return <span data-testid="auth">{isLoading ? "loading" : isAuthenticated ? "in" : "out"}</span>;
  }
  function Viewer() {
    const viewer = useQuery("users:viewer", {});
    return <span data-testid="viewer">{viewer === undefined ? "…" : viewer === null ? "nobody" : (viewer as { name: string }).name}</span>;
  }

  function harness(c: ConvexWasmClient, fetchAccessToken: AuthHook["fetchAccessToken"]) {
    let setAuth!: (a: Omit<AuthHook, "fetchAccessToken">) => void;
    const transitions: string[] = [];
    function Recorder() {
      const { isLoading, isAuthenticated } = useConvexAuth();
      const s = isLoading ? "loading" : isAuthenticated ? "in" : "out";
      if (transitions[transitions.length - 1] !== s) transitions.push(s);
      return null;
    }
    function App() {
      const [state, set] = useState({ isLoading: true, isAuthenticated: false });
      setAuth = set;
      const useAuth = () => ({ ...state, fetchAccessToken });
      return (
        <ConvexProviderWithAuth client={c} useAuth={useAuth}>
          <Recorder />
          <Status />
          <AuthLoading>
            <span data-testid="gate">auth-loading</span>
          </AuthLoading>
          <Authenticated>
            <span data-testid="gate">authenticated</span>
            <Viewer />
          </Authenticated>
          <Unauthenticated>
            <span data-testid="gate">unauthenticated</span>
          </Unauthenticated>
        </ConvexProviderWithAuth>
      );
    }
    render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
    return { setAuth: (a: Omit<AuthHook, "fetchAccessToken">) => act(() => setAuth(a)), transitions };
  }

  it("goes loading → authenticated → signed out", async () => {
    const c = client();
    const forced: boolean[] = [];
    const fetchAccessToken = async ({ forceRefreshToken }: { forceRefreshToken: boolean }) => {
      forced.push(forceRefreshToken);
      return mintToken("user_ada", "Ada Lovelace");
    };
    const h = harness(c, fetchAccessToken);
    expect(screen.getByTestId("gate").textContent).toBe("auth-loading");
    await h.setAuth({ isLoading: false, isAuthenticated: true });
    await waitFor(() => expect(screen.getByTestId("gate").textContent).toBe("authenticated"));
    await waitFor(() => expect(screen.getByTestId("viewer").textContent).toBe("Ada Lovelace"));
    expect(forced[0]).toBe(false);
    await h.setAuth({ isLoading: false, isAuthenticated: false });
    await waitFor(() => expect(screen.getByTestId("gate").textContent).toBe("unauthenticated"));
    expect(h.transitions).toEqual(["loading", "in", "out"]);
  });

  it("treats a null token as signed out", async () => {
    const c = client();
    const h = harness(c, async () => null);
    await h.setAuth({ isLoading: false, isAuthenticated: true });
    await waitFor(() => expect(screen.getByTestId("auth").textContent).toBe("out"));
    expect(screen.getByTestId("gate").textContent).toBe("unauthenticated");
  });

  it("keeps the session through a failing token fetch (transient), then authenticates", async () => {
    const c = client();
    let calls = 0;
    const h = harness(c, async () => {
      if (calls++ < 1) throw new TypeError("Failed to fetch");
      return mintToken("user_bea", "Bea");
    });
    await h.setAuth({ isLoading: false, isAuthenticated: true });
    expect(screen.getByTestId("auth").textContent).toBe("loading");
    await waitFor(() => expect(screen.getByTestId("viewer").textContent).toBe("Bea"), { timeout: 10_000 });
  });

  it("useConvexAuth throws outside a provider", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Status />)).toThrow(/ConvexProviderWithAuth/);
    } finally {
      console.error = quiet;
    }
  });
});

describe("ConvexProviderWithAuthKit", () => {
  type GetAccessToken = (o?: { forceRefresh?: boolean }) => Promise<string>;
  type User = { id: string } | null;

  function Status() {
    const { isLoading, isAuthenticated } = useConvexAuth();
    const viewer = useQuery("users:viewer", {});
    return (
      <div>
        <span data-testid="auth">{isLoading ? "loading" : isAuthenticated ? "in" : "out"}</span>
        <span data-testid="viewer">{viewer === undefined ? "…" : viewer === null ? "nobody" : (viewer as { name: string }).name}</span>
      </div>
    );
  }

  function harness(c: ConvexWasmClient, getAccessToken: GetAccessToken) {
    let set!: (s: { isLoading: boolean; user: User }) => void;
    function App() {
      const [state, setState] = useState<{ isLoading: boolean; user: User }>({ isLoading: true, user: null });
      set = setState;
      const useAuth = () => ({ ...state, getAccessToken });
      return (
        <ConvexProviderWithAuthKit client={c} useAuth={useAuth}>
          <Status />
        </ConvexProviderWithAuthKit>
      );
    }
    render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
    return (s: { isLoading: boolean; user: User }) => act(() => set(s));
  }

  class LoginRequiredError extends Error {
    override name = "LoginRequiredError";
  }

  it("signs in with getAccessToken run by the Go AuthKit provider, and out when the user goes", async () => {
    const c = client();
    const calls: (boolean | undefined)[] = [];
    // A stable function, as authkit-react's is.
    const getAccessToken: GetAccessToken = async (o) => {
      calls.push(o?.forceRefresh);
      return mintToken("user_kit", "Kit Marlowe");
    };
    const set = harness(c, getAccessToken);
    expect(screen.getByTestId("auth").textContent).toBe("loading");
    await set({ isLoading: false, user: { id: "user_kit" } });
    await waitFor(() => expect(screen.getByTestId("auth").textContent).toBe("in"));
    await waitFor(() => expect(screen.getByTestId("viewer").textContent).toBe("Kit Marlowe"));
    expect(calls.length).toBeGreaterThan(0);
    await set({ isLoading: false, user: null });
    await waitFor(() => expect(screen.getByTestId("auth").textContent).toBe("out"));
    await waitFor(() => expect(screen.getByTestId("viewer").textContent).toBe("nobody"));
  });

  it("a LoginRequiredError signs the client out", async () => {
    const c = client();
    const set = harness(c, async () => {
      throw new LoginRequiredError("No access token available");
    });
    await set({ isLoading: false, user: { id: "user_gone" } });
    await waitFor(() => expect(screen.getByTestId("auth").textContent).toBe("out"));
  });

  it("a network failure is transient: the session is kept and the token arrives", async () => {
    const c = client();
    let n = 0;
    const set = harness(c, async () => {
      if (n++ < 2) throw new TypeError("Failed to fetch");
      return mintToken("user_net", "Net Blip");
    });
    await set({ isLoading: false, user: { id: "user_net" } });
    await waitFor(() => expect(screen.getByTestId("viewer").textContent).toBe("Net Blip"), { timeout: 15_000 });
    expect(screen.getByTestId("auth").textContent).toBe("in");
  });
});
