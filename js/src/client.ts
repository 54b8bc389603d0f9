/**
 * ConvexWasmClient: the Go Convex client, running as WebAssembly, behind an
 * API shaped like convex's own clients.
 *
 * @module
 */
import { ConvexError, convexToJson, jsonToConvex, type Value } from "convex/values";
import {
  getFunctionName,
  type FunctionArgs,
  type FunctionReference,
  type FunctionReference_future,
  type FunctionReturnType,
  type OptionalRestArgs,
} from "convex/server";
import { dropPreconnect, loadGoConvex, preconnect, type WasmSource } from "./loader.js";
import {
  unwrap,
  type AuthKitState,
  type GetAccessToken,
  type LogLevel,
  type WasmAuthState,
  type WasmConnectionState,
  type WasmFunctionErrorJSON,
  type WasmHandle,
  type WasmUpdate,
} from "./wasm_api.js";

/** A typed function reference, either kind convex/server has. */
export type AnyFunctionReference<Type extends "query" | "mutation" | "action"> = FunctionReference<Type> | FunctionReference_future<Type>;

/** A function reference (`api.messages.list`) or its name (`"messages:list"`). */
export type FunctionLike<Type extends "query" | "mutation" | "action"> = AnyFunctionReference<Type> | string;

type ArgsOf<F> = F extends AnyFunctionReference<any> ? FunctionArgs<F> : Record<string, Value>;
type ReturnOf<F> = F extends AnyFunctionReference<any> ? FunctionReturnType<F> : any;

/** The fetcher of ConvexProviderWithAuth (convex's AuthTokenFetcher). */
export type AuthTokenFetcher = (args: { forceRefreshToken: boolean }) => Promise<string | null | undefined>;

/**
 * Where the client's log lines go, as convex's `Logger`: `logVerbose`
 * (only with `verbose`), `log`, `warn` and `error`, each taking what
 * console.log takes.
 */
export type Logger = {
  logVerbose(...args: any[]): void;
  log(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
};

/**
 * The options of {@link ConvexWasmClient}: convex's ConvexReactClientOptions
 * (those marked "accepted" have no effect here), plus `wasm`, `preconnect` and `logLevel`.
 */
export interface ConvexWasmClientOptions {
  /** Where to load goconvex.wasm from (default: beside this module). */
  wasm?: WasmSource;
  /**
   * Open the deployment's WebSocket at once, while the wasm loads, for the
   * Go client to take over (default true; see `preconnect` in loader.ts).
   */
  preconnect?: boolean;
  /**
   * What the Go client logs (default "warn"; "debug" with `verbose`,
   * "silent" with `logger: false`).
   */
  logLevel?: LogLevel;
  /** Skip the checks on the deployment URL (convex's skipConvexDeploymentUrlCheck). */
  skipConvexDeploymentUrlCheck?: boolean;
  /**
   * Ask before the page is left (a `beforeunload` prompt) while mutations
   * or actions are in flight. Default: true where there is a `window`.
   */
  unsavedChangesWarning?: boolean;
  /**
   * Hold queries, mutations and actions back until the first token from
   * setAuth (or setAuthKit) is settled: accepted by the deployment, or
   * none. Default false.
   */
  expectAuth?: boolean;
  /** Log what the client does through `logger.logVerbose` (default false). */
  verbose?: boolean;
  /**
   * Where log lines go: a {@link Logger}, true for the console (the
   * default), false for nowhere. The Go client's lines go there too.
   */
  logger?: Logger | boolean;
  /** Accepted; the Go client uses the global WebSocket. */
  webSocketConstructor?: typeof WebSocket;
  /** Accepted; not sent. */
  reportDebugInfoToConvex?: boolean;
  /** Accepted; no effect. */
  onServerDisconnectError?: (message: string) => void;
  /** Accepted; the Go auth provider picks when to refresh. */
  authRefreshTokenLeewaySeconds?: number;
  /** Accepted; no effect. */
  initialAuthTokenReuse?: boolean;
}

/** What convex's ConvexReactClient takes: the same options. */
export type ConvexReactClientOptions = ConvexWasmClientOptions;

/** The connection state, as convex's `ConnectionState`. */
export interface ConnectionState {
  hasInflightRequests: boolean;
  isWebSocketConnected: boolean;
  timeOfOldestInflightRequest: Date | null;
  hasEverConnected: boolean;
  connectionCount: number;
  connectionRetries: number;
  inflightMutations: number;
  inflightActions: number;
  /** goconvex only: the last connection-level failure. */
  lastError: string | null;
  /**
   * goconvex only: the client stopped for good after repeated FatalErrors
   * from the deployment (lastError holds the server's text); calls fail.
   */
  failed: boolean;
}

/** An unsubscribe function that can also read the subscription's latest value. */
export interface Unsubscribe<T> {
  (): void;
  unsubscribe(): void;
  getCurrentValue(): T | undefined;
}

/** A query's cached outcome. Its identity changes only when the result does. */
export type QueryResult = { value: Value } | { error: Error };

/**
 * The query results an optimistic update reads and changes, as convex's
 * OptimisticLocalStore (with the same signatures, so updates typed with
 * convex/browser's type fit), and by function name too: what this client
 * holds, with the updates of the mutations still in flight applied in the
 * order they were made.
 */
export interface OptimisticLocalStore {
  /** The query's value, or undefined when it has none (loading or failed). */
  getQuery<Query extends AnyFunctionReference<"query">>(query: Query, ...args: OptionalRestArgs<Query>): undefined | FunctionReturnType<Query>;
  getQuery(query: string, args?: Record<string, Value>): any;
  /** Every query of this function the client holds, with its arguments. */
  getAllQueries<Query extends AnyFunctionReference<"query">>(
    query: Query,
  ): { args: FunctionArgs<Query>; value: undefined | FunctionReturnType<Query> }[];
  getAllQueries(query: string): { args: Record<string, Value>; value: any }[];
  /** Sets the query's value (undefined: loading) until the mutation is reflected. */
  setQuery<Query extends AnyFunctionReference<"query">>(query: Query, args: FunctionArgs<Query>, value: undefined | FunctionReturnType<Query>): void;
  setQuery(query: string, args: Record<string, Value>, value: any): void;
}

/** Changes query results while a mutation is in flight (convex's OptimisticUpdate). */
export type OptimisticUpdate<Args> = (localStore: OptimisticLocalStore, args: Args) => void;

/** Options of {@link ConvexWasmClient.mutation}. */
export interface MutationOptions<Args> {
  /**
   * Applied at once to this client's query results, and dropped when the
   * server's results reflect the mutation (or it fails), in the same update:
   * no render shows both.
   */
  optimisticUpdate?: OptimisticUpdate<Args>;
}

/** A query's journal, as convex's QueryJournal. */
export type QueryJournal = string | null;

/** A watch on a query's result, as convex/react's Watch: see {@link ConvexWasmClient.watchQuery}. */
export interface Watch<T> {
  /**
   * Subscribes to the query and calls callback each time its local result
   * changes (a server result or an optimistic update); not for the result
   * already held when it is called. Returns the unsubscriber.
   */
  onUpdate(callback: () => void): () => void;
  /**
   * The query's current local result: undefined unless the client is
   * subscribed to it and holds a result (from the server or an optimistic
   * update). Throws the query's error when it failed.
   */
  localQueryResult(): T | undefined;
  /**
   * The query's journal. Always undefined here: the Go client keeps the
   * journals of its queries (paginated queries stay consistent with them)
   * but does not hand them out.
   */
  journal(): QueryJournal | undefined;
}

/** Options of {@link ConvexWasmClient.watchQuery}, as convex's WatchQueryOptions. */
export interface WatchQueryOptions {
  /** Accepted; the Go client keeps the journals of the queries it runs. */
  journal?: QueryJournal;
}

interface Entry {
  token: string;
  name: string;
  argsJSON: string;
  id: number | undefined; // the Go subscription, once made
  server: QueryResult | undefined; // what the server sent
  result: QueryResult | undefined; // what watchers see: server, with optimistic updates applied
  listeners: Set<() => void>;
}

interface OptimisticLayer {
  update: OptimisticUpdate<any>;
  args: Record<string, Value>;
}

// Shown (where browsers still show a text) before leaving a page with
// writes in flight.
const unsavedChangesMessage = "Changes you made may not be saved yet. Leave this page?";

const consoleLogger = (verbose: boolean): Logger => ({
  logVerbose: (...args) => {
    if (verbose) console.debug(...args);
  },
  log: (...args) => console.log(...args),
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
});

const noLogger: Logger = { logVerbose() {}, log() {}, warn() {}, error() {} };

const initialConnectionState: ConnectionState = {
  hasInflightRequests: false,
  isWebSocketConnected: false,
  timeOfOldestInflightRequest: null,
  hasEverConnected: false,
  connectionCount: 0,
  connectionRetries: 0,
  inflightMutations: 0,
  inflightActions: 0,
  lastError: null,
  failed: false,
};

/**
 * A Convex client running the Go client compiled to WebAssembly. Like
 * ConvexReactClient it can be created at module level: the wasm loads in
 * the background and calls made meanwhile run once it is ready.
 *
 * Function arguments and results are Convex values (bigint, ArrayBuffer, …):
 * they are encoded with convex/values and cross into Go as Convex JSON.
 */
export class ConvexWasmClient {
  readonly address: string;
  private handle: WasmHandle | undefined;
  private pending: Array<(h: WasmHandle) => void> = [];
  private loadError: unknown;
  private closed = false;
  private readonly entries = new Map<string, Entry>();
  private readonly byId = new Map<number, Entry>();
  /** Optimistic updates of the mutations in flight, in call order. */
  private layers: OptimisticLayer[] = [];
  private connection: ConnectionState = initialConnectionState;
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>();
  private authGeneration = 0;
  /** With expectAuth: the work held back until the first token settles. */
  private held: Array<() => void> | undefined;
  /** Mutations and actions in flight (for the unsaved-changes prompt). */
  private inflight = 0;
  private readonly unloadTarget: { removeEventListener(type: string, fn: (e: Event) => void): void } | undefined;
  private readonly verbose: boolean;
  private readonly log: Logger;
  /** Resolves when the wasm is loaded and the Go client created. */
  readonly ready: Promise<void>;

  constructor(address: string, options: ConvexWasmClientOptions = {}) {
    if (typeof address !== "string") {
      throw new Error("ConvexWasmClient needs the deployment URL, e.g. https://happy-animal-123.convex.cloud");
    }
    this.address = address;
    this.verbose = options.verbose === true;
    const logger = options.logger;
    this.log = logger === false ? noLogger : logger === undefined || logger === true ? consoleLogger(this.verbose) : logger;
    if (options.expectAuth) {
      this.held = [];
    }
    const win = typeof window === "undefined" ? undefined : (window as Partial<Window> | undefined);
    if ((options.unsavedChangesWarning ?? true) && typeof win?.addEventListener === "function") {
      win.addEventListener("beforeunload", this.onBeforeUnload);
      this.unloadTarget = win as Window;
    }
    const level: LogLevel = options.logLevel ?? (logger === false ? "silent" : this.verbose ? "debug" : "warn");
    // The sync socket opens while the wasm loads; the Go client takes it over.
    if (options.preconnect ?? true) preconnect(address);
    this.ready = loadGoConvex(options.wasm).then((api) => {
      if (this.closed) {
        return;
      }
      const createOptions: { logLevel?: LogLevel; skipDeploymentUrlCheck?: boolean; log?: (level: string, line: string) => void } = {
        logLevel: level,
        log: (lvl, line) => {
          const l = this.log;
          (lvl === "error" ? l.error : lvl === "warn" ? l.warn : lvl === "info" ? l.log : l.logVerbose).call(l, line);
        },
      };
      if (options.skipConvexDeploymentUrlCheck) createOptions.skipDeploymentUrlCheck = true;
      const h = unwrap(api.create(address, createOptions));
      this.handle = h;
      unwrap(h.onConnectionState((json) => this.onConnectionState(json)));
      const queued = this.pending;
      this.pending = [];
      for (const fn of queued) {
        fn(h);
      }
    });
    this.ready.catch((e: unknown) => {
      this.loadError = e;
      this.log.error("goconvex: failed to start the wasm client", e);
    });
  }

  /** The deployment URL this client was made with (convex's `url`). */
  get url(): string {
    return this.address;
  }

  /** Where this client logs (convex's `logger`). */
  get logger(): Logger {
    return this.log;
  }

  private readonly onBeforeUnload = (e: Event): string | undefined => {
    if (this.inflight === 0) {
      return undefined;
    }
    e.preventDefault();
    // Older browsers read the prompt from returnValue.
    (e as { returnValue?: unknown }).returnValue = unsavedChangesMessage;
    return unsavedChangesMessage;
  };

  /** Counts p as a write in flight until it settles. */
  private inFlight<T>(p: Promise<T>): Promise<T> {
    this.inflight++;
    const done = () => {
      this.inflight--;
    };
    p.then(done, done);
    return p;
  }

  /** With expectAuth, ends the hold: the first token settled (or auth was cleared). */
  private releaseHeld(): void {
    const held = this.held;
    if (held === undefined) {
      return;
    }
    this.held = undefined;
    this.log.logVerbose("goconvex: auth settled; running the held requests", held.length);
    for (const fn of held) {
      fn();
    }
  }

  /**
   * Runs fn with the Go client now, or once it is ready (in call order);
   * with expectAuth, not before the first token settles unless auth is set.
   */
  private run(fn: (h: WasmHandle) => void, auth = false): void {
    if (this.closed) {
      return;
    }
    if (!auth && this.held !== undefined) {
      this.held.push(() => this.run(fn));
      return;
    }
    if (this.handle !== undefined) {
      fn(this.handle);
    } else {
      this.pending.push(fn);
    }
  }

  private async handleForCall(): Promise<WasmHandle> {
    if (this.closed) {
      throw new Error("ConvexWasmClient has already been closed.");
    }
    const held = this.held;
    if (held !== undefined) {
      await new Promise<void>((resolve) => held.push(resolve));
    }
    if (this.handle === undefined) {
      await this.ready;
    }
    if (this.handle === undefined) {
      throw this.loadError instanceof Error ? this.loadError : new Error("ConvexWasmClient has already been closed.");
    }
    return this.handle;
  }

  // ---- one-shot calls

  /** Runs a query once (resolving with the first result, as convex's client.query). */
  async query<Q extends FunctionLike<"query">>(query: Q, args?: ArgsOf<Q>): Promise<ReturnOf<Q>> {
    return this.call("query", query, args);
  }

  /**
   * Runs a mutation; resolves once its writes are visible to this client's
   * queries. options.optimisticUpdate changes query results until then.
   */
  mutation<M extends FunctionLike<"mutation">>(
    mutation: M,
    args?: ArgsOf<M>,
    options?: MutationOptions<ArgsOf<M>>,
  ): Promise<ReturnOf<M>> {
    return this.inFlight(this.runMutation(mutation, args, options));
  }

  private async runMutation(mutation: FunctionLike<"mutation">, args: unknown, options?: MutationOptions<any>): Promise<any> {
    const update = options?.optimisticUpdate;
    if (update === undefined) {
      return this.call("mutation", mutation, args);
    }
    const layer: OptimisticLayer = { update, args: (args ?? {}) as Record<string, Value> };
    this.layers.push(layer);
    this.notify(this.applyLayers());
    const drop = () => {
      const i = this.layers.indexOf(layer);
      if (i >= 0) {
        this.layers.splice(i, 1);
        this.notify(this.applyLayers());
      }
    };
    try {
      return await this.call("mutation", mutation, args, drop);
    } finally {
      drop(); // when the client closed or never reached the server
    }
  }

  /** Runs an action. */
  action<A extends FunctionLike<"action">>(action: A, args?: ArgsOf<A>): Promise<ReturnOf<A>> {
    return this.inFlight(this.call("action", action, args));
  }

  private async call(kind: "query" | "mutation" | "action", fn: FunctionLike<any>, args: unknown, onSettled?: () => void): Promise<any> {
    const name = functionName(fn);
    const argsJSON = encodeArgs(args);
    this.log.logVerbose(`goconvex: ${kind} ${name}`);
    const h = await this.handleForCall();
    let json: string;
    try {
      json = kind === "mutation" && onSettled !== undefined ? await h.mutation(name, argsJSON, onSettled) : await h[kind](name, argsJSON);
    } catch (e) {
      throw callError(e);
    }
    return jsonToConvex(JSON.parse(json));
  }

  // ---- subscriptions

  /**
   * Subscribes to a query, as convex's ConvexClient.onUpdate: callback gets
   * each new result (the cached one first, asynchronously, if there is one);
   * a failed query calls onError (or logs). Returns the unsubscriber.
   */
  onUpdate<Q extends FunctionLike<"query">>(
    query: Q,
    args: ArgsOf<Q>,
    callback: (result: ReturnOf<Q>) => unknown,
    onError?: (e: Error) => unknown,
  ): Unsubscribe<ReturnOf<Q>> {
    const name = functionName(query);
    const argsJSON = encodeArgs(args);
    const token = name + "\u0000" + argsJSON;
    const current = () => this.entries.get(token)?.result;
    let last: QueryResult | undefined;
    const notify = () => {
      const r = current();
      if (r === undefined || r === last) {
        return;
      }
      last = r;
      if ("error" in r) {
        if (onError) onError(r.error);
        else console.error(r.error);
      } else {
        callback(r.value as ReturnOf<Q>);
      }
    };
    const remove = this.addListener(token, name, argsJSON, notify);
    if (current() !== undefined) {
      queueMicrotask(notify);
    }
    const unsubscribe = (() => remove()) as Unsubscribe<ReturnOf<Q>>;
    unsubscribe.unsubscribe = unsubscribe;
    unsubscribe.getCurrentValue = () => {
      const r = current();
      if (r === undefined) return undefined;
      if ("error" in r) throw r.error;
      return r.value as ReturnOf<Q>;
    };
    return unsubscribe;
  }

  /**
   * A {@link Watch} on a query, as convex/react's watchQuery: creating one
   * costs nothing; the Go subscription starts with the first onUpdate
   * callback and stops a microtask after the last one leaves (so React
   * StrictMode's unmount-remount keeps it, and its result). Watches of the
   * same query and arguments share one subscription and one cached result.
   * (The hooks are built on this.)
   */
  watchQuery<Q extends FunctionLike<"query">>(query: Q, args?: ArgsOf<Q>, _options?: WatchQueryOptions): Watch<ReturnOf<Q>> {
    const name = functionName(query);
    const argsJSON = encodeArgs(args);
    const token = name + "\u0000" + argsJSON;
    return {
      onUpdate: (callback) => this.addListener(token, name, argsJSON, callback),
      localQueryResult: () => {
        const r = this.entries.get(token)?.result;
        if (r !== undefined && "error" in r) {
          throw r.error;
        }
        return r?.value as ReturnOf<Q> | undefined;
      },
      journal: () => undefined,
    };
  }

  private addListener(token: string, name: string, argsJSON: string, listener: () => void): () => void {
    let e = this.entries.get(token);
    if (e === undefined) {
      const entry: Entry = { token, name, argsJSON, id: undefined, server: undefined, result: undefined, listeners: new Set() };
      e = entry;
      this.entries.set(token, entry);
      this.run((h) => {
        if (this.entries.get(token) !== entry) {
          return; // released before the client was ready
        }
        const id = unwrap(h.subscribe(name, argsJSON, this.onBatch));
        this.log.logVerbose(`goconvex: subscribed to ${name}`, argsJSON);
        entry.id = id;
        this.byId.set(id, entry);
      });
    }
    const entry = e;
    // A distinct wrapper per call, so one function can listen twice.
    const fn = () => listener();
    entry.listeners.add(fn);
    return () => {
      if (!entry.listeners.delete(fn) || entry.listeners.size > 0) {
        return;
      }
      queueMicrotask(() => {
        if (entry.listeners.size > 0 || this.entries.get(token) !== entry) {
          return;
        }
        this.entries.delete(token);
        if (entry.id !== undefined) {
          this.byId.delete(entry.id);
          const id = entry.id;
          this.run((h) => void h.unsubscribe(id));
        }
      });
    };
  }

  /** Receives one transition's results: updates every cache entry, then notifies. */
  private readonly onBatch = (json: string): void => {
    const updates = JSON.parse(json) as WasmUpdate[];
    const touched: Entry[] = [];
    for (const u of updates) {
      const e = this.byId.get(u.id);
      if (e === undefined) {
        continue;
      }
      e.server = "error" in u ? { error: functionError(u.error) } : { value: jsonToConvex(u.value as any) };
      if (this.layers.length === 0) {
        e.result = e.server;
      }
      if (!touched.includes(e)) {
        touched.push(e);
      }
    }
    if (this.layers.length > 0) {
      for (const e of this.applyLayers()) {
        if (!touched.includes(e)) touched.push(e);
      }
    }
    this.notify(touched);
  };

  private notify(entries: Entry[]): void {
    for (const e of entries) {
      for (const l of [...e.listeners]) {
        try {
          l();
        } catch (err) {
          this.log.error(err);
        }
      }
    }
  }

  /**
   * Recomputes what watchers see: the server's results with the optimistic
   * updates applied in order. Returns the entries whose result changed.
   */
  private applyLayers(): Entry[] {
    const set = new Map<string, Value | undefined>();
    const tokenOf = (query: FunctionLike<"query">, args: unknown) => functionName(query) + "\u0000" + encodeArgs(args);
    const valueOf = (token: string): Value | undefined => {
      if (set.has(token)) return set.get(token);
      const r = this.entries.get(token)?.server;
      return r !== undefined && "value" in r ? r.value : undefined;
    };
    const store: OptimisticLocalStore = {
      getQuery: (query: FunctionLike<"query">, args?: unknown) => valueOf(tokenOf(query, args)) as any,
      getAllQueries: (query: FunctionLike<"query">) => {
        const name = functionName(query);
        return [...this.entries.values()]
          .filter((e) => e.name === name)
          .map((e) => ({ args: jsonToConvex(JSON.parse(e.argsJSON)) as any, value: valueOf(e.token) as any }));
      },
      setQuery: (query: FunctionLike<"query">, args: unknown, value: unknown) => {
        set.set(tokenOf(query, args), value as Value | undefined);
      },
    };
    for (const layer of this.layers) {
      try {
        layer.update(store, layer.args);
      } catch (err) {
        this.log.error("goconvex: an optimistic update threw", err);
      }
    }
    const changed: Entry[] = [];
    for (const e of this.entries.values()) {
      let next = e.server;
      if (set.has(e.token)) {
        const v = set.get(e.token);
        next = v === undefined ? undefined : { value: v };
      }
      if (next !== e.result) {
        e.result = next;
        changed.push(e);
      }
    }
    return changed;
  }

  // ---- auth

  /**
   * Authenticates with tokens from fetchToken (convex's setAuth):
   * null/undefined means signed out; a rejection is a transient failure
   * (goconvex keeps the session and retries, where convex wedges).
   * onChange(isAuthenticated) is called when the deployment confirms a
   * token or auth ends; onRefreshChange while a rejected token is replaced.
   */
  setAuth(
    fetchToken: AuthTokenFetcher,
    onChange?: (isAuthenticated: boolean) => void,
    onRefreshChange?: (isRefreshing: boolean) => void,
  ): void {
    const onState = this.authListener(onChange, onRefreshChange);
    this.run((h) => unwrap(h.setAuth(fetchToken, onState)), true);
  }

  /**
   * Authenticates with AuthKit: the Go authkit.Provider (last good token,
   * single-flight fetches, forced refreshes that really refresh, transient
   * failures kept apart from sign-outs, proactive refresh before expiry)
   * runs over authkit-react's getAccessToken. A LoginRequiredError (or a
   * RefreshError with isTransient false) signs out; any other rejection is
   * transient. state is authkit-react's {isLoading, signedIn: user !== null};
   * pass later changes to {@link authKitState}.
   */
  setAuthKit(
    getAccessToken: GetAccessToken,
    state: AuthKitState,
    onChange?: (isAuthenticated: boolean) => void,
    onRefreshChange?: (isRefreshing: boolean) => void,
  ): void {
    const onState = this.authListener(onChange, onRefreshChange);
    this.run((h) => unwrap(h.setAuthKit(getAccessToken, state, onState)), true);
  }

  /**
   * Forwards authkit-react's isLoading and signed-in state to the Go AuthKit
   * provider: settled without a user signs the client out; a user again
   * resumes fetching tokens.
   */
  authKitState(state: AuthKitState): void {
    this.run((h) => unwrap(h.authKitState(state)), true);
  }

  /** Signs the client out and forgets the token source. */
  clearAuth(): void {
    this.authGeneration++;
    this.run((h) => unwrap(h.clearAuth()), true);
    this.releaseHeld();
  }

  private authListener(
    onChange?: (isAuthenticated: boolean) => void,
    onRefreshChange?: (isRefreshing: boolean) => void,
  ): (json: string) => void {
    const generation = ++this.authGeneration;
    let refreshing = false;
    return (json) => {
      if (generation !== this.authGeneration) {
        return; // a later setAuth or clearAuth superseded this one
      }
      const st = JSON.parse(json) as WasmAuthState;
      if (st.isRefreshing !== refreshing) {
        refreshing = st.isRefreshing;
        onRefreshChange?.(refreshing);
      }
      if (!st.isLoading) {
        this.releaseHeld();
        onChange?.(st.isAuthenticated);
      }
    };
  }

  // ---- connection state

  /** The current connection state. */
  connectionState(): ConnectionState {
    return this.connection;
  }

  /** Calls cb on every connection state change; returns the unsubscriber. */
  subscribeToConnectionState(cb: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(cb);
    return () => {
      this.connectionListeners.delete(cb);
    };
  }

  private onConnectionState(json: string): void {
    const s = JSON.parse(json) as WasmConnectionState;
    this.connection = {
      ...s,
      timeOfOldestInflightRequest: s.timeOfOldestInflightRequest === null ? null : new Date(s.timeOfOldestInflightRequest),
    };
    for (const cb of [...this.connectionListeners]) {
      cb(this.connection);
    }
  }

  // ---- lifecycle

  /** Closes the connection; later calls fail. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.pending = [];
    this.releaseHeld(); // held calls fail now: the client is closed
    this.unloadTarget?.removeEventListener("beforeunload", this.onBeforeUnload);
    this.layers = [];
    this.entries.clear();
    this.byId.clear();
    this.connectionListeners.clear();
    const h = this.handle;
    this.handle = undefined;
    if (h === undefined) {
      dropPreconnect(this.address); // closed before the Go client could take its socket
    }
    if (h !== undefined) {
      await h.close();
    }
  }
}

/** The canonical name of a function reference or name. */
export function functionName(fn: FunctionLike<any>): string {
  return typeof fn === "string" ? fn : getFunctionName(fn);
}

function encodeArgs(args: unknown): string {
  if (args === undefined || args === null) {
    return "{}";
  }
  if (typeof args !== "object" || Array.isArray(args)) {
    throw new Error("Convex function arguments must be an object, got " + (Array.isArray(args) ? "an array" : typeof args));
  }
  return JSON.stringify(convexToJson(args as Value));
}

const kindPrefix: Record<string, string> = { query: "Q", mutation: "M", action: "A" };

/** Builds the Error convex's client throws for a failed function: a ConvexError carrying data when the function threw one. */
export function functionError(e: WasmFunctionErrorJSON): Error {
  if (e.kind === undefined || e.function === undefined) {
    return new Error(e.message);
  }
  const message = `[CONVEX ${kindPrefix[e.kind] ?? "?"}(${e.function})] ${e.errorMessage ?? ""}\n  Called by client`;
  if (e.data === undefined) {
    return new Error(message);
  }
  const err = new ConvexError<any>(message);
  const data = typeof e.data === "string" ? JSON.parse(e.data) : e.data;
  err.data = jsonToConvex(data);
  return err;
}

function callError(e: unknown): Error {
  if (e instanceof Error && typeof (e as { kind?: unknown }).kind === "string") {
    return functionError(e as unknown as WasmFunctionErrorJSON);
  }
  return e instanceof Error ? e : new Error(String(e));
}
