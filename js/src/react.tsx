/**
 * React bindings with the names and behaviour of convex/react: an app moves
 * to the wasm client by changing its imports and its client construction.
 *
 * @module
 */
import { createContext, createElement, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { convexToJson, type Value } from "convex/values";
import {
  ConvexWasmClient,
  functionName,
  type ConnectionState,
  type FunctionLike,
  type OptimisticUpdate,
  type Watch,
} from "./client.js";
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import type { AnyFunctionReference } from "./client.js";

const ConvexContext = createContext<ConvexWasmClient | undefined>(undefined);

/** Makes client available to the hooks below it. */
export function ConvexProvider({ client, children }: { client: ConvexWasmClient; children?: ReactNode }) {
  return createElement(ConvexContext.Provider, { value: client }, children);
}

/** The client of the nearest ConvexProvider (undefined outside one). */
export function useConvex(): ConvexWasmClient {
  return useContext(ConvexContext) as ConvexWasmClient;
}

/** The client of the nearest ConvexProvider; throws, naming hook, outside one. */
export function requireClient(hook: string): ConvexWasmClient {
  // eslint-disable-next-line react-hooks/rules-of-hooks
  const client = useContext(ConvexContext);
  if (client === undefined) {
    throw new Error(
      `Could not find Convex client! \`${hook}\` must be used in the React component tree under \`ConvexProvider\`. Did you forget it?`,
    );
  }
  return client;
}

type EmptyObject = Record<string, never>;
type QueryArgsOrSkip<Q> =
  Q extends AnyFunctionReference<"query">
    ? FunctionArgs<Q> extends EmptyObject
      ? [args?: EmptyObject | "skip"]
      : [args: FunctionArgs<Q> | "skip"]
    : [args?: Record<string, Value> | "skip"];
type Returns<F> = F extends AnyFunctionReference<any> ? FunctionReturnType<F> : any;
type Args<F> = F extends AnyFunctionReference<any> ? FunctionArgs<F> : Record<string, Value>;

/** A query's arguments or "skip", as convex/react's OptionalRestArgsOrSkip. */
export type OptionalRestArgsOrSkip<Q extends AnyFunctionReference<any>> =
  FunctionArgs<Q> extends EmptyObject ? [args?: EmptyObject | "skip"] : [args: FunctionArgs<Q> | "skip"];

const noSubscribe = () => () => {};
const noSnapshot = () => undefined;

/**
 * A watch's local result as a snapshot: the value, undefined, or the Error
 * the query failed with (never a Convex value, so never ambiguous). The
 * client keeps one result object per change, so snapshots are stable.
 */
export function readWatch(watch: Watch<unknown>): unknown {
  try {
    return watch.localQueryResult();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** The current outcome of one query (undefined while loading or skipped, an Error when it failed). */
function useQueryOutcome(hook: string, query: FunctionLike<"query">, argsOrSkip: unknown): unknown {
  const client = requireClient(hook);
  const skip = argsOrSkip === "skip";
  const argsObject = (skip ? {} : (argsOrSkip ?? {})) as Record<string, Value>;
  const name = functionName(query);
  // Keyed on the encoded arguments: equal arguments keep the subscription.
  const argsKey = JSON.stringify(convexToJson(argsObject));
  const watch = useMemo(
    () => (skip ? undefined : client.watchQuery(name, argsObject)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, name, argsKey, skip],
  );
  const get = useMemo(() => (watch === undefined ? noSnapshot : () => readWatch(watch)), [watch]);
  return useSyncExternalStore(watch?.onUpdate ?? noSubscribe, get, get);
}

/**
 * Subscribes to a query: undefined while loading, then each new result.
 * A failed query throws its error (a ConvexError when the function threw
 * one) for the nearest error boundary, as convex/react does. Pass "skip"
 * to not subscribe.
 */
export function useQuery<Q extends FunctionLike<"query">>(query: Q, ...args: QueryArgsOrSkip<Q>): Returns<Q> | undefined {
  const result = useQueryOutcome("useQuery", query, args[0]);
  if (result instanceof Error) {
    throw result;
  }
  return result as Returns<Q> | undefined;
}

/** A query and its arguments, as convex's QueryOptions. */
export type QueryOptions<Query extends AnyFunctionReference<"query">> = {
  query: Query;
  args: FunctionArgs<Query>;
};

/** What {@link useQuery_experimental} returns, as convex/react's UseQueryResult. */
export type UseQueryResult<QueryResult, ThrowOnError extends boolean = false> =
  | { status: "pending" }
  | { status: "success"; data: QueryResult }
  | (ThrowOnError extends true ? never : { status: "error"; error: Error });

/** The options of {@link useQuery_experimental}. */
export type UseQueryOptions<Q extends FunctionLike<"query">, ThrowOnError extends boolean> = {
  query: Q;
  args: Args<Q> | "skip";
  throwOnError?: ThrowOnError;
};

/**
 * useQuery with one options object, as convex/react's useQuery_experimental:
 * `{status: "pending"}` while loading (or skipped), `{status: "success",
 * data}`, or `{status: "error", error}` (thrown instead with throwOnError).
 * The object stays the same until the outcome changes.
 */
export function useQuery_experimental<Q extends FunctionLike<"query">, ThrowOnError extends boolean = false>(
  options: UseQueryOptions<Q, ThrowOnError>,
): UseQueryResult<Returns<Q>, ThrowOnError> {
  const outcome = useQueryOutcome("useQuery", options.query, options.args);
  if (outcome instanceof Error && options.throwOnError) {
    throw outcome;
  }
  return useMemo(
    () =>
      (outcome === undefined
        ? { status: "pending" }
        : outcome instanceof Error
          ? { status: "error", error: outcome }
          : { status: "success", data: outcome }) as UseQueryResult<Returns<Q>, ThrowOnError>,
    [outcome],
  );
}

/**
 * A request for {@link useQueries}: an identifier for each query, with the
 * query and its arguments.
 */
export type RequestForQueries = Record<string, { query: FunctionLike<"query">; args: Record<string, Value> }>;

/**
 * Subscribes to a variable number of queries, as convex/react's useQueries
 * does: the result has the request's keys, each holding the query's value,
 * undefined while it loads, or the Error it failed with (returned, not
 * thrown). Re-renders when any result changes; a request with the same
 * queries and arguments keeps its subscriptions.
 */
export function useQueries(queries: RequestForQueries): Record<string, any | undefined | Error> {
  const client = requireClient("useQueries");
  const requests = Object.entries(queries).map(([key, { query, args }]) => ({ key, name: functionName(query), args }));
  const requestKey = JSON.stringify(requests.map(({ key, name, args }) => [key, name, convexToJson(args)]));
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const store = useMemo(() => queriesStore(client, requests), [client, requestKey]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** One external store over several watches; its snapshot changes only when a result does. */
function queriesStore(client: ConvexWasmClient, requests: Array<{ key: string; name: string; args: Record<string, Value> }>) {
  const watches = requests.map(({ key, name, args }) => ({ key, watch: client.watchQuery(name, args) }));
  let results: unknown[] = watches.map(() => undefined);
  let snapshot: Record<string, any | undefined | Error> = Object.fromEntries(watches.map(({ key }) => [key, undefined]));
  return {
    subscribe(listener: () => void): () => void {
      const removers = watches.map(({ watch }) => watch.onUpdate(listener));
      return () => removers.forEach((remove) => remove());
    },
    getSnapshot(): Record<string, any | undefined | Error> {
      const now = watches.map(({ watch }) => readWatch(watch));
      if (now.some((r, i) => r !== results[i])) {
        results = now;
        snapshot = Object.fromEntries(watches.map(({ key }, i) => [key, now[i]]));
      }
      return snapshot;
    },
  };
}

/** A function that runs a mutation with its arguments. */
type CallArgs<F> = Args<F> extends EmptyObject ? [args?: Args<F>] : [args: Args<F>];

/** A function that runs an action with its arguments. */
export type ReactAction<A> = (...args: CallArgs<A>) => Promise<Returns<A>>;

/** A function that runs a mutation with its arguments, as convex/react's ReactMutation. */
export interface ReactMutation<M> {
  (...args: CallArgs<M>): Promise<Returns<M>>;
  /**
   * The same mutation with an optimistic update: applied to this client's
   * query results when it is called, dropped when the server's results
   * reflect it (or it fails). A mutation takes one.
   */
  withOptimisticUpdate(update: OptimisticUpdate<Args<M>>): ReactMutation<M>;
}

function reactMutation<M>(client: ConvexWasmClient, name: string, update?: OptimisticUpdate<Args<M>>): ReactMutation<M> {
  const run = (args?: Record<string, Value>) => {
    assertNotEvent(args);
    return client.mutation(name, args, update === undefined ? undefined : { optimisticUpdate: update as OptimisticUpdate<any> });
  };
  const withOptimisticUpdate = (next: OptimisticUpdate<Args<M>>) => {
    if (update !== undefined) {
      throw new Error(`Already specified optimistic update for mutation ${name}`);
    }
    return reactMutation(client, name, next);
  };
  return Object.assign(run, { withOptimisticUpdate }) as unknown as ReactMutation<M>;
}

/** Returns a stable function that runs the mutation. */
export function useMutation<M extends FunctionLike<"mutation">>(mutation: M): ReactMutation<M> {
  const client = requireClient("useMutation");
  const name = functionName(mutation);
  return useMemo(() => reactMutation<M>(client, name), [client, name]);
}

/** Returns a stable function that runs the action. */
export function useAction<A extends FunctionLike<"action">>(action: A): ReactAction<A> {
  const client = requireClient("useAction");
  const name = functionName(action);
  return useMemo(
    () =>
      ((args?: Record<string, Value>) => {
        assertNotEvent(args);
        return client.action(name, args);
      }) as ReactAction<A>,
    [client, name],
  );
}

/** The connection state, re-rendering on each change. */
export function useConvexConnectionState(): ConnectionState {
  const client = requireClient("useConvexConnectionState");
  const subscribe = useCallback((cb: () => void) => client.subscribeToConnectionState(cb), [client]);
  const get = useCallback(() => client.connectionState(), [client]);
  return useSyncExternalStore(subscribe, get, get);
}

// A mutation passed straight to onClick gets a React event as arguments:
// an object wrapping the DOM event it came from (nativeEvent) — never a
// Convex value, which holds no Event.
function assertNotEvent(v: unknown): void {
  const native = typeof v === "object" && v !== null ? (v as { nativeEvent?: unknown }).nativeEvent : undefined;
  if (typeof Event !== "undefined" && native instanceof Event) {
    throw new Error(
      "A Convex function was called with a React event as its arguments. Wrap it: onClick={() => send()}, not onClick={send}.",
    );
  }
}
