// ConvexProviderWithAuth's state changes, one at a time, over a scripted
// client: a stand-in that records what the provider asks of it (setAuth,
// clearAuth) and lets the test answer each setAuth when it likes — late,
// out of order, after it was superseded. The same user code runs under
// convex/react's ConvexProviderWithAuth and under ours, and each test checks
// both. (react.test.tsx runs ours over the real wasm client and a
// deployment.)
import { StrictMode, useState, type ReactNode } from "react";
import { act, cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConvexProviderWithAuth as OfficialProviderWithAuth,
  useConvexAuth as officialUseConvexAuth,
  type ConvexReactClient,
} from "convex/react";
import { ConvexProviderWithAuth, useConvexAuth, type ConvexWasmClient } from "../src/index.js";

afterEach(() => cleanup());

type Fetcher = (a: { forceRefreshToken: boolean }) => Promise<string | null>;
type Library = { isLoading: boolean; isAuthenticated: boolean; fetchAccessToken: Fetcher };

/** One setAuth the provider made, which the test answers through it. */
interface Handover {
  fetcher: Fetcher;
  answer(accepted: boolean): void;
}

/** The client stand-in: records the provider's calls. */
class ScriptedClient {
  readonly handovers: Handover[] = [];
  /** "set" and "clear", in call order. */
  readonly calls: string[] = [];
  setAuth(fetcher: Fetcher, onChange?: (isAuthenticated: boolean) => void) {
    this.calls.push("set");
    this.handovers.push({ fetcher, answer: (ok) => act(() => onChange?.(ok)) });
  }
  clearAuth() {
    this.calls.push("clear");
  }
  /** The last setAuth. */
  latest(): Handover {
    const h = this.handovers[this.handovers.length - 1];
    if (h === undefined) throw new Error("no setAuth yet");
    return h;
  }
}

type Side = {
  name: string;
  Provider: (p: { client: ScriptedClient; useAuth: () => Library; children: ReactNode }) => ReactNode;
  useConvexAuth: () => { isLoading: boolean; isAuthenticated: boolean };
};

const sides: Side[] = [
  {
    name: "convex/react",
    Provider: ({ client, useAuth, children }) => (
      <OfficialProviderWithAuth client={client as unknown as ConvexReactClient} useAuth={useAuth}>
        {children}
      </OfficialProviderWithAuth>
    ),
    useConvexAuth: officialUseConvexAuth,
  },
  {
    name: "@goconvex/react",
    Provider: ({ client, useAuth, children }) => (
      <ConvexProviderWithAuth client={client as unknown as ConvexWasmClient} useAuth={useAuth}>
        {children}
      </ConvexProviderWithAuth>
    ),
    useConvexAuth,
  },
];

const token = (name: string): Fetcher => async () => `token-of-${name}`;

/** Mounts an app whose auth library the test drives; returns its controls. */
function mount(side: Side, first: Library) {
  const client = new ScriptedClient();
  const seen: string[] = []; // every state rendered, in order, repeats dropped
  let setLibrary!: (l: Library) => void;
  function Probe() {
    const { isLoading, isAuthenticated } = side.useConvexAuth();
    const s = isLoading ? "loading" : isAuthenticated ? "in" : "out";
    if (seen[seen.length - 1] !== s) seen.push(s);
    return null;
  }
  function App() {
    const [library, set] = useState(first);
    setLibrary = set;
    return (
      <side.Provider client={client} useAuth={() => library}>
        <Probe />
      </side.Provider>
    );
  }
  const view = render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  return {
    client,
    seen,
    now: () => seen[seen.length - 1],
    library: (l: Library) => act(() => setLibrary(l)),
    unmount: () => view.unmount(),
  };
}

const loading = (f: Fetcher): Library => ({ isLoading: true, isAuthenticated: false, fetchAccessToken: f });
const signedIn = (f: Fetcher): Library => ({ isLoading: false, isAuthenticated: true, fetchAccessToken: f });
const signedOut = (f: Fetcher): Library => ({ isLoading: false, isAuthenticated: false, fetchAccessToken: f });

describe.each(sides)("ConvexProviderWithAuth ($name) over a scripted client", (side) => {
  it("is loading while the library loads, and asks nothing of the client", () => {
    const app = mount(side, loading(token("ada")));
    expect(app.seen).toEqual(["loading"]);
    expect(app.client.handovers).toHaveLength(0);
  });

  it("hands the fetcher over once the library has a user, and stays loading until the deployment answers", async () => {
    const ada = token("ada");
    const app = mount(side, loading(ada));
    await app.library(signedIn(ada));
    expect(app.client.latest().fetcher).toBe(ada);
    expect(app.now()).toBe("loading");
    await app.client.latest().answer(true);
    expect(app.now()).toBe("in");
    await app.library(signedOut(ada));
    expect(app.now()).toBe("out");
    expect(app.client.calls[app.client.calls.length - 1]).toBe("clear");
    expect(app.seen).toEqual(["loading", "in", "out"]);
  });

  it("reports the deployment's refusal as signed out", async () => {
    const app = mount(side, signedIn(token("ada")));
    expect(app.now()).toBe("loading");
    await app.client.latest().answer(false);
    expect(app.now()).toBe("out");
  });

  it("settles signed out without a user, handing nothing over", async () => {
    const app = mount(side, loading(token("ada")));
    await app.library(signedOut(token("ada")));
    expect(app.seen).toEqual(["loading", "out"]);
    expect(app.client.handovers).toHaveLength(0);
  });

  it("ignores an answer about a setAuth that was superseded", async () => {
    // StrictMode mounts, unmounts and mounts again: two setAuth calls, the
    // first cleared. Its answer, arriving now, is about nothing current.
    const app = mount(side, signedIn(token("ada")));
    expect(app.client.handovers.length).toBeGreaterThanOrEqual(2);
    const [stale] = app.client.handovers;
    await stale!.answer(true);
    expect(app.now()).toBe("loading");
    await app.client.latest().answer(true);
    expect(app.now()).toBe("in");
    await stale!.answer(false);
    expect(app.now()).toBe("in");
  });

  it("hands a new fetcher over again, loading until the deployment answers about it", async () => {
    const ada = token("ada");
    const app = mount(side, signedIn(ada));
    await app.client.latest().answer(true);
    expect(app.now()).toBe("in");
    const first = app.client.latest();
    const ada2 = token("ada");
    await app.library(signedIn(ada2));
    expect(app.client.latest().fetcher).toBe(ada2);
    expect(app.now()).toBe("loading");
    await first.answer(true); // the old fetcher's answer counts no more
    expect(app.now()).toBe("loading");
    await app.client.latest().answer(true);
    expect(app.seen).toEqual(["loading", "in", "loading", "in"]);
  });

  it("a library that loads again reports loading, then the new answer", async () => {
    const ada = token("ada");
    const app = mount(side, signedIn(ada));
    await app.client.latest().answer(true);
    await app.library(loading(ada));
    expect(app.now()).toBe("loading");
    expect(app.client.calls[app.client.calls.length - 1]).toBe("clear");
    await app.library(signedIn(ada));
    expect(app.now()).toBe("loading");
    await app.client.latest().answer(true);
    expect(app.seen).toEqual(["loading", "in", "loading", "in"]);
  });

  it("clears the client's auth on unmount", async () => {
    const app = mount(side, signedIn(token("ada")));
    await app.client.latest().answer(true);
    const before = app.client.calls.length;
    app.unmount();
    expect(app.client.calls.slice(before)).toEqual(["clear"]);
  });
});

describe("useConvexAuth outside a provider", () => {
  it("throws convex/react's words outside a provider", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      const texts = [useConvexAuth, officialUseConvexAuth].map((hook) => {
        function Orphan() {
          hook();
          return null;
        }
        try {
          render(<Orphan />);
          return "no error";
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(texts[0]).toBe(texts[1]);
      expect(texts[0]).toMatch(/^Could not find `ConvexProviderWithAuth`/);
    } finally {
      console.error = quiet;
    }
  });
});
