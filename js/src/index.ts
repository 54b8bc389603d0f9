/**
 * @goconvex/react: the goconvex client (Go, compiled to WebAssembly) with
 * React bindings that mirror convex/react.
 *
 * ```tsx
 * import { ConvexWasmClient, ConvexProviderWithAuthKit, useQuery, useMutation } from "@goconvex/react";
 * import { AuthKitProvider, useAuth } from "@workos-inc/authkit-react";
 * import { api } from "../convex/_generated/api";
 *
 * const convex = new ConvexWasmClient(import.meta.env.VITE_CONVEX_URL);
 *
 * <AuthKitProvider clientId={…}>
 *   <ConvexProviderWithAuthKit client={convex} useAuth={useAuth}>
 *     <App />
 *   </ConvexProviderWithAuthKit>
 * </AuthKitProvider>
 *
 * function App() {
 *   const messages = useQuery(api.messages.list); // undefined while loading
 *   const send = useMutation(api.messages.send);
 * }
 * ```
 *
 * @module
 */
export {
  ConvexWasmClient,
  ConvexWasmClient as ConvexReactClient,
  type AnyFunctionReference,
  type AuthTokenFetcher,
  type ConnectionState,
  type ConvexReactClientOptions,
  type ConvexWasmClientOptions,
  type FunctionLike,
  type Logger,
  type MutationOptions,
  type OptimisticLocalStore,
  type OptimisticUpdate,
  type QueryJournal,
  type Unsubscribe,
  type Watch,
  type WatchQueryOptions,
} from "./client.js";
export { loadGoConvex, defaultWasmUrl, type WasmSource } from "./loader.js";
export {
  ConvexProvider,
  useConvex,
  useQuery,
  useQuery_experimental,
  useQueries,
  useMutation,
  useAction,
  useConvexConnectionState,
  type OptionalRestArgsOrSkip,
  type QueryOptions,
  type ReactMutation,
  type ReactAction,
  type RequestForQueries,
  type UseQueryOptions,
  type UseQueryResult,
} from "./react.js";
export {
  usePaginatedQuery,
  optimisticallyUpdateValueInPaginatedQuery,
  insertAtTop,
  insertAtPosition,
  insertAtBottomIfLoaded,
  type PaginatedQueryArgs,
  type PaginatedQueryItem,
  type PaginatedQueryReference,
  type PaginationStatus,
  type UsePaginatedQueryResult,
  type UsePaginatedQueryReturnType,
} from "./paginated_query.js";
export {
  preloadQuery,
  preloadedQueryResult,
  usePreloadedQuery,
  type Preloaded,
  type PreloadQueryOptions,
} from "./hydration.js";
export {
  ConvexProviderWithAuth,
  ConvexProviderWithAuthKit,
  useConvexAuth,
  Authenticated,
  Unauthenticated,
  AuthLoading,
  AuthRefreshing,
  type AuthKitUseAuth,
  type ConvexAuthState,
} from "./auth.js";
export type { LogLevel, AuthKitState, GetAccessToken } from "./wasm_api.js";
