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
  functionError,
  functionName,
  type AuthTokenFetcher,
  type ConnectionState,
  type ConvexWasmClientOptions,
  type FunctionLike,
  type MutationOptions,
  type OptimisticLocalStore,
  type OptimisticUpdate,
  type QueryResult,
  type QueryWatch,
  type Unsubscribe,
} from "./client.js";
export { loadGoConvex, defaultWasmUrl, type WasmSource } from "./loader.js";
export {
  ConvexProvider,
  useConvex,
  useQuery,
  useQueries,
  useMutation,
  useAction,
  useConvexConnectionState,
  type ReactMutation,
  type ReactAction,
  type RequestForQueries,
} from "./react.js";
export {
  usePaginatedQuery,
  optimisticallyUpdateValueInPaginatedQuery,
  type PaginationStatus,
  type UsePaginatedQueryResult,
} from "./paginated_query.js";
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
export type { GoConvexApi, WasmHandle, LogLevel, AuthKitState, GetAccessToken } from "./wasm_api.js";
