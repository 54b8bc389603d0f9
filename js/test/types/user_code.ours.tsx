import * as lib from "../../src/index.js";
// ---- The user code below is the same, byte for byte, in user_code.ours.tsx
// (test/types.test.ts checks): written against convex/react 1.48, it must
// type-check (tsc --noEmit) against @goconvex/react too.
import { useState, useSyncExternalStore } from "react";
import type { OptimisticLocalStore } from "convex/browser";
import { preloadQuery } from "convex/nextjs";
import { api, type Message } from "./api.js";

const {
  ConvexReactClient,
  ConvexProvider,
  useConvex,
  useQuery,
  useQuery_experimental,
  useQueries,
  useMutation,
  useAction,
  usePaginatedQuery,
  usePreloadedQuery,
  useConvexConnectionState,
  insertAtTop,
  insertAtPosition,
  insertAtBottomIfLoaded,
  optimisticallyUpdateValueInPaginatedQuery,
} = lib;

const options: lib.ConvexReactClientOptions = {
  unsavedChangesWarning: false,
  expectAuth: true,
  verbose: true,
  logger: { logVerbose() {}, log() {}, warn: console.warn, error: console.error },
  skipConvexDeploymentUrlCheck: true,
};
export const convex: lib.ConvexReactClient = new ConvexReactClient("https://happy-animal-123.convex.cloud", options);
export const url: string = convex.url;
convex.logger.log("client for", url);

// A watch, as adapters (e.g. @convex-dev/react-query) use one.
const watchOptions: lib.WatchQueryOptions = {};
const watch: lib.Watch<number> = convex.watchQuery(api.counter.get, { name: "a" }, watchOptions);
const stop: () => void = watch.onUpdate(() => {
  const n: number | undefined = watch.localQueryResult();
  const journal: string | null | undefined = watch.journal();
  console.log(n, journal);
});
stop();

export async function calls() {
  const n: number = await convex.query(api.counter.get, { name: "a" });
  const total: number = await convex.query(api.counter.total);
  const sent: string = await convex.mutation(api.messages.send, { channel: "c", body: "hi" }, {
    optimisticUpdate: (store, args) => {
      const current = store.getQuery(api.counter.get, { name: args.channel });
      if (current !== undefined) store.setQuery(api.counter.get, { name: args.channel }, current + 1);
    },
  });
  const summary: string = await convex.action(api.messages.summarize, { channel: "c" });
  const mutationOptions: lib.MutationOptions<{ name: string }> = {};
  await convex.mutation(api.counter.increment, { name: "a" }, mutationOptions);
  convex.setAuth(async ({ forceRefreshToken }) => (forceRefreshToken ? null : "jwt"));
  convex.clearAuth();
  const fetcher: lib.AuthTokenFetcher = async () => null;
  convex.setAuth(fetcher, (isAuthenticated: boolean) => console.log(isAuthenticated));
  const unsubscribe = convex.subscribeToConnectionState((s) => console.log(s.isWebSocketConnected, s.inflightMutations));
  unsubscribe();
  await convex.close();
  return [n, total, sent, summary];
}

// Server side: a payload for usePreloadedQuery.
export async function preload(): Promise<lib.Preloaded<typeof api.counter.get>> {
  return preloadQuery(api.counter.get, { name: "a" }, { url: "https://happy-animal-123.convex.cloud" });
}

export function Counter({ name, preloaded }: { name: string; preloaded: lib.Preloaded<typeof api.counter.get> }) {
  const client: lib.ConvexReactClient = useConvex();
  const value: number | undefined = useQuery(api.counter.get, { name });
  const skipped: number | undefined = useQuery(api.counter.get, name === "" ? "skip" : { name });
  const total: number | undefined = useQuery(api.counter.total);
  const request: lib.QueryOptions<typeof api.counter.get> = { query: api.counter.get, args: { name } };
  const state: lib.UseQueryResult<number> = useQuery_experimental(request);
  const strict: lib.UseQueryResult<number, true> = useQuery_experimental({ query: api.counter.get, args: "skip", throwOnError: true });
  const live: number = usePreloadedQuery(preloaded);
  const many = useQueries({ a: { query: api.counter.get, args: { name } } } satisfies lib.RequestForQueries);
  const increment: lib.ReactMutation<typeof api.counter.increment> = useMutation(api.counter.increment).withOptimisticUpdate(
    (localStore: OptimisticLocalStore, args) => {
      const current = localStore.getQuery(api.counter.get, { name: args.name });
      if (current !== undefined) localStore.setQuery(api.counter.get, { name: args.name }, current + (args.by ?? 1));
    },
  );
  const summarize: lib.ReactAction<typeof api.messages.summarize> = useAction(api.messages.summarize);
  const connection = useConvexConnectionState();
  const watched = useSyncExternalStore(
    (cb) => client.watchQuery(api.counter.get, { name }).onUpdate(cb),
    () => client.watchQuery(api.counter.get, { name }).localQueryResult(),
  );
  const text =
    state.status === "success" ? String(state.data) : state.status === "error" ? state.error.message : strict.status;
  return (
    <button onClick={() => void increment({ name }).then(() => summarize({ channel: name }))}>
      {value ?? skipped ?? total ?? live ?? watched}
      {text}
      {String(many.a)}
      {connection.hasEverConnected ? "" : "…"}
    </button>
  );
}

type ListRef = typeof api.messages.list;
const asPaginated: lib.PaginatedQueryReference = api.messages.list;
type ListArgs = lib.PaginatedQueryArgs<ListRef>;
type ListItem = lib.PaginatedQueryItem<ListRef>;

export function Messages({ channel }: { channel: string }) {
  const [args] = useState<ListArgs>({ channel });
  const page: lib.UsePaginatedQueryResult<Message> = usePaginatedQuery(api.messages.list, args, { initialNumItems: 10 });
  const same: lib.UsePaginatedQueryReturnType<ListRef> = page;
  const status: lib.PaginationStatus = same.status;
  const send = useMutation(api.messages.send).withOptimisticUpdate((localStore, { channel, body }) => {
    const item: ListItem = { _id: "optimistic", _creationTime: Date.now(), channel, body, priority: 0 };
    insertAtTop({ paginatedQuery: api.messages.list, argsToMatch: { channel }, localQueryStore: localStore, item });
    insertAtBottomIfLoaded({ paginatedQuery: api.messages.list, localQueryStore: localStore, item });
    insertAtPosition({
      paginatedQuery: api.messages.list,
      argsToMatch: { channel },
      sortOrder: "desc",
      sortKeyFromItem: (m) => [m.priority, m._creationTime],
      localQueryStore: localStore,
      item,
    });
    optimisticallyUpdateValueInPaginatedQuery(localStore, api.messages.list, { channel }, (m) => ({ ...m, body: m.body.trim() }));
  });
  void asPaginated;
  return (
    <ul data-status={status}>
      {page.results.map((m) => (
        <li key={m._id}>{m.body}</li>
      ))}
      <button onClick={() => page.loadMore(10)}>more</button>
      <button onClick={() => void send({ channel, body: "hi" })}>send</button>
    </ul>
  );
}

export function App() {
  return (
    <ConvexProvider client={convex}>
      <Messages channel="general" />
    </ConvexProvider>
  );
}
