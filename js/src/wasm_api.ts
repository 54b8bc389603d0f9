/**
 * The API the Go wasm binary installs as `globalThis.__goconvex`
 * (Go: wasm/internal/binding). Values cross as Convex-JSON strings: one
 * string per call, one per transition batch.
 *
 * Synchronous methods never throw across the boundary (Go cannot throw into
 * JS): on failure they return an `Error`, which {@link unwrap} rethrows.
 * Promise-returning methods reject with an `Error`; function failures carry
 * {@link WasmCallErrorFields}.
 *
 * @module
 */

/** Auth state as the Go client reports it. */
export interface WasmAuthState {
  isLoading: boolean;
  isAuthenticated: boolean;
  isRefreshing: boolean;
}

/** Connection state as the Go client reports it. */
export interface WasmConnectionState {
  isWebSocketConnected: boolean;
  hasEverConnected: boolean;
  connectionCount: number;
  connectionRetries: number;
  hasInflightRequests: boolean;
  inflightMutations: number;
  inflightActions: number;
  /** Milliseconds since the epoch, or null when nothing is in flight. */
  timeOfOldestInflightRequest: number | null;
  /** The last connection-level failure (its text). */
  lastError: string | null;
  /** The client stopped for good after repeated FatalErrors from the deployment. */
  failed: boolean;
}

/** The error of a failed function, in a batch or on a rejected call. */
export interface WasmFunctionErrorJSON {
  /** `[CONVEX Q(messages:list)] <errorMessage>` */
  message: string;
  /** The server's message. */
  errorMessage?: string;
  kind?: "query" | "mutation" | "action";
  function?: string;
  /** ConvexError data: Convex JSON (an object in a batch, a string on a rejection). */
  data?: unknown;
  logLines?: string[];
  connectionLost?: boolean;
}

/** One entry of an onUpdate batch. */
export type WasmUpdate =
  | { id: number; value: unknown }
  | { id: number; error: WasmFunctionErrorJSON };

/** Fields on the Error a rejected query/mutation/action carries. */
export type WasmCallErrorFields = Omit<WasmFunctionErrorJSON, "message">;

/** authkit-react's getAccessToken. */
export type GetAccessToken = (options?: { forceRefresh?: boolean }) => Promise<string>;

/** authkit-react's state, as the Go AuthKit provider needs it. */
export interface AuthKitState {
  isLoading: boolean;
  signedIn: boolean;
}

/** One Go client. */
export interface WasmHandle {
  /** Subscribes; onUpdate(batchJSON) is called once per transition for all subscriptions sharing it. */
  subscribe(name: string, argsJSON: string, onUpdate: (batchJSON: string) => void): number | Error;
  unsubscribe(id: number): null | Error;
  query(name: string, argsJSON: string): Promise<string>;
  /** onSettled runs once the mutation succeeded or failed, in the same delivery as (right after) the results it is reflected in. */
  mutation(name: string, argsJSON: string, onSettled?: () => void): Promise<string>;
  action(name: string, argsJSON: string): Promise<string>;
  /** fetchAccessToken: null/undefined = signed out, a rejection = transient. onState gets this provider's auth states. */
  setAuth(
    fetchAccessToken: (args: { forceRefreshToken: boolean }) => Promise<string | null | undefined>,
    onState?: (stateJSON: string) => void,
  ): null | Error;
  /** Runs the Go AuthKit token provider over authkit-react's getAccessToken. */
  setAuthKit(getAccessToken: GetAccessToken, state: AuthKitState, onState?: (stateJSON: string) => void): null | Error;
  /** Tells the Go AuthKit provider about authkit-react's isLoading and user. */
  authKitState(state: AuthKitState): null | Error;
  clearAuth(): null | Error;
  onAuthState(cb: (stateJSON: string) => void): (() => void) | Error;
  onConnectionState(cb: (stateJSON: string) => void): (() => void) | Error;
  authState(): string | Error;
  connectionState(): string | Error;
  close(): Promise<void>;
}

/** `globalThis.__goconvex`. */
export interface GoConvexApi {
  version: string;
  clientVersion: string;
  protocolVersion: string;
  create(
    deploymentUrl: string,
    /** log(level, line) receives the Go client's log lines (from logLevel up) instead of the console. */
    options?: { logLevel?: LogLevel; skipDeploymentUrlCheck?: boolean; log?: (level: string, line: string) => void },
  ): WasmHandle | Error;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Rethrows an Error a synchronous wasm method returned. */
export function unwrap<T>(v: T | Error): T {
  if (v instanceof Error) {
    throw v;
  }
  return v;
}
