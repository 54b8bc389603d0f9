/**
 * Auth providers and helpers with the names and semantics of convex/react
 * (ConvexProviderWithAuth, useConvexAuth, Authenticated, Unauthenticated,
 * AuthLoading), plus ConvexProviderWithAuthKit for @workos-inc/authkit-react
 * whose token lifecycle runs in Go.
 *
 * @module
 */
import {
  createContext,
  createElement,
  Fragment,
  useCallback,
  useContext,
  useLayoutEffect,
  useReducer,
  type ReactNode,
} from "react";
import { ConvexProvider } from "./react.js";
import type { AuthTokenFetcher, ConvexWasmClient } from "./client.js";
import type { GetAccessToken } from "./wasm_api.js";

/** The auth state useConvexAuth returns. */
export interface ConvexAuthState {
  /** Waiting for the auth provider, or for the deployment to confirm a token. */
  isLoading: boolean;
  /** The deployment accepted the user's token. */
  isAuthenticated: boolean;
  /** A token the deployment rejected is being replaced (only while authenticated). */
  isRefreshing: boolean;
}

const ConvexAuthContext = createContext<ConvexAuthState | undefined>(undefined);

// The text convex/react throws here, kept word for word: apps match on it.
const noProviderMessage =
  "Could not find `ConvexProviderWithAuth` (or `ConvexProviderWithClerk` or `ConvexProviderWithAuth0`) " +
  "as an ancestor component. This component may be missing, or you might have two instances of the " +
  "`convex/react` module loaded in your project.";

/** The auth state of the nearest auth provider; throws outside one. */
export function useConvexAuth(): ConvexAuthState {
  const state = useContext(ConvexAuthContext);
  if (state === undefined) {
    throw new Error(noProviderMessage);
  }
  return state;
}

/** Renders children once the deployment confirmed the user's token. */
export function Authenticated({ children }: { children: ReactNode }) {
  const { isLoading, isAuthenticated } = useConvexAuth();
  return isLoading || !isAuthenticated ? null : createElement(Fragment, null, children);
}

/** Renders children when auth settled and the user is not authenticated. */
export function Unauthenticated({ children }: { children: ReactNode }) {
  const { isLoading, isAuthenticated } = useConvexAuth();
  return isLoading || isAuthenticated ? null : createElement(Fragment, null, children);
}

/** Renders children while auth is loading. */
export function AuthLoading({ children }: { children: ReactNode }) {
  const { isLoading } = useConvexAuth();
  return isLoading ? createElement(Fragment, null, children) : null;
}

/** Renders children while an authenticated session replaces a rejected token. */
export function AuthRefreshing({ children }: { children: ReactNode }) {
  const { isAuthenticated, isRefreshing } = useConvexAuth();
  return isAuthenticated && isRefreshing ? createElement(Fragment, null, children) : null;
}


// ---- the bridge between an auth library and the client
//
// A provider turns its library's state into three inputs: is the library
// still loading, does it have a user, and how to give the client that
// user's tokens (`attach`, a function whose identity changes exactly when
// the token source does). useAuthBridge hands the token source over while
// the library has a user, takes it back otherwise, and keeps the
// deployment's answer about it.
//
// Each hand-over is a session: a fresh object that the client's callbacks
// carry back with their answer. The reducer keeps only answers about the
// current session, so a late answer to an earlier hand-over changes nothing.

/** Gives the client the token source; the callbacks report the deployment's answers. */
type Attach = (onVerdict: (accepted: boolean) => void, onRefreshing: (refreshing: boolean) => void) => void;

/** One hand-over of a token source to the client (compared by identity). */
type Session = { readonly attach: Attach };

interface BridgeState {
  /** The hand-over whose answers count; null when none is in force. */
  live: Session | null;
  /** The deployment's answer about it: none yet, it accepted the token, or not. */
  verdict: "pending" | "accepted" | "rejected";
  /** The client is replacing a token the deployment rejected. */
  refreshing: boolean;
}

type BridgeEvent =
  | { type: "attached"; session: Session }
  | { type: "verdict"; session: Session; accepted: boolean }
  | { type: "refreshing"; session: Session; refreshing: boolean }
  | { type: "detached"; session: Session };

const noSession: BridgeState = { live: null, verdict: "pending", refreshing: false };

function bridgeReducer(state: BridgeState, event: BridgeEvent): BridgeState {
  if (event.type === "attached") {
    return { live: event.session, verdict: "pending", refreshing: false };
  }
  if (event.session !== state.live) {
    return state; // about a hand-over that is over
  }
  switch (event.type) {
    case "verdict": {
      const verdict = event.accepted ? "accepted" : "rejected";
      return verdict === state.verdict ? state : { ...state, verdict };
    }
    case "refreshing":
      return event.refreshing === state.refreshing ? state : { ...state, refreshing: event.refreshing };
    case "detached":
      // The client has no token source from this bridge any more: what
      // useConvexAuth reports comes from the library until the next
      // hand-over is answered (signed out, or loading while it has a user).
      return noSession;
  }
}

const loadingState: ConvexAuthState = Object.freeze({ isLoading: true, isAuthenticated: false, isRefreshing: false });
const signedOutState: ConvexAuthState = Object.freeze({ isLoading: false, isAuthenticated: false, isRefreshing: false });
const signedInState: ConvexAuthState = Object.freeze({ isLoading: false, isAuthenticated: true, isRefreshing: false });
const refreshingState: ConvexAuthState = Object.freeze({ isLoading: false, isAuthenticated: true, isRefreshing: true });

/**
 * Keeps client's auth in step with an auth library: attach runs while the
 * library has settled with a user (again whenever attach changes), and the
 * client's auth is cleared when it has not or the caller unmounts. Returns
 * what useConvexAuth reports.
 */
function useAuthBridge(client: ConvexWasmClient, libraryLoading: boolean, librarySignedIn: boolean, attach: Attach): ConvexAuthState {
  const [state, dispatch] = useReducer(bridgeReducer, noSession);
  const wanted = !libraryLoading && librarySignedIn ? attach : null;

  // A layout effect: it runs before the passive effects in which the
  // children's queries subscribe, so the client has the token source first.
  useLayoutEffect(() => {
    if (wanted === null) {
      return;
    }
    const session: Session = { attach: wanted };
    dispatch({ type: "attached", session });
    wanted(
      (accepted) => dispatch({ type: "verdict", session, accepted }),
      (refreshing) => dispatch({ type: "refreshing", session, refreshing }),
    );
    return () => {
      client.clearAuth();
      dispatch({ type: "detached", session });
    };
  }, [client, wanted]);

  if (libraryLoading) {
    return loadingState;
  }
  if (wanted === null) {
    return signedOutState;
  }
  if (state.live?.attach !== wanted) {
    return loadingState; // this token source is not handed over yet
  }
  switch (state.verdict) {
    case "pending":
      return loadingState;
    case "rejected":
      return signedOutState;
    case "accepted":
      return state.refreshing ? refreshingState : signedInState;
  }
}

function withAuth(client: ConvexWasmClient, auth: ConvexAuthState, children: ReactNode) {
  return createElement(ConvexProvider, { client }, createElement(ConvexAuthContext.Provider, { value: auth }, children));
}

/**
 * Authenticates client with an auth library's useAuth hook
 * (`{isLoading, isAuthenticated, fetchAccessToken}`), as convex/react's
 * ConvexProviderWithAuth: useConvexAuth is loading until the library
 * settles and, with a user, until the deployment answers about the token.
 * A new fetchAccessToken is handed over again (and awaits its answer).
 */
export function ConvexProviderWithAuth({
  client,
  useAuth,
  children,
}: {
  client: ConvexWasmClient;
  useAuth: () => { isLoading: boolean; isAuthenticated: boolean; fetchAccessToken: AuthTokenFetcher };
  children?: ReactNode;
}) {
  const { isLoading, isAuthenticated, fetchAccessToken } = useAuth();
  const attach = useCallback<Attach>(
    (onVerdict, onRefreshing) => client.setAuth(fetchAccessToken, onVerdict, onRefreshing),
    [client, fetchAccessToken],
  );
  return withAuth(client, useAuthBridge(client, isLoading, isAuthenticated, attach), children);
}

/** The part of authkit-react's useAuth() this provider reads. */
export interface AuthKitUseAuth {
  isLoading: boolean;
  user: { id?: string } | null | undefined;
  getAccessToken: GetAccessToken;
}

/**
 * The wasm client's ConvexProviderWithAuthKit: pass authkit-react's
 * useAuth. Unlike @convex-dev/workos, the token lifecycle runs in Go (the
 * authkit package's Provider): the last good token is kept through
 * transient failures, a forced refresh really refreshes, tokens are renewed
 * before they expire, and sign-out is told from a network blip.
 */
export function ConvexProviderWithAuthKit({
  client,
  useAuth,
  children,
}: {
  client: ConvexWasmClient;
  useAuth: () => AuthKitUseAuth;
  children?: ReactNode;
}) {
  const { isLoading, user, getAccessToken } = useAuth();
  const userId = user?.id;
  // Handed over once authkit-react settled with a user, and again for
  // another getAccessToken or another user; the Go provider then runs on
  // its own until the user goes (the bridge clears the client's auth).
  const attach = useCallback<Attach>(
    (onVerdict, onRefreshing) => client.setAuthKit(getAccessToken, { isLoading: false, signedIn: true }, onVerdict, onRefreshing),
    // userId is not read, but another user is another hand-over.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, getAccessToken, userId],
  );
  return withAuth(client, useAuthBridge(client, isLoading, !!user, attach), children);
}
