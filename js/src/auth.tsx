/**
 * Auth providers and helpers with the names and semantics of convex/react
 * (ConvexProviderWithAuth, useConvexAuth, Authenticated, Unauthenticated,
 * AuthLoading), plus ConvexProviderWithAuthKit for @workos-inc/authkit-react
 * whose token lifecycle runs in Go.
 *
 * @module
 */
import { createContext, createElement, Fragment, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
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

/** The auth state of the nearest auth provider; throws outside one. */
export function useConvexAuth(): ConvexAuthState {
  const state = useContext(ConvexAuthContext);
  if (state === undefined) {
    throw new Error(
      "Could not find `ConvexProviderWithAuth` (or `ConvexProviderWithAuthKit`) as an ancestor component. " +
        "This component may be missing, or two copies of @goconvex/react are loaded.",
    );
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

/** What an auth bridge gives the client when the provider reports a user. */
type Connect = (
  client: ConvexWasmClient,
  onChange: (isAuthenticated: boolean) => void,
  onRefreshChange: (isRefreshing: boolean) => void,
) => void;

/**
 * The state machine of convex/react's ConvexProviderWithAuth, over any way
 * of connecting the client (spec: convex-protocol.md §9.10).
 */
function ConvexAuthBridge({
  client,
  providerLoading,
  providerAuthenticated,
  connect,
  connectKey,
  children,
}: {
  client: ConvexWasmClient;
  providerLoading: boolean;
  providerAuthenticated: boolean;
  connect: Connect;
  /** A change re-runs the connection (convex: the fetchAccessToken identity). */
  connectKey: unknown;
  children?: ReactNode;
}) {
  // null: not known yet (loading); then what the deployment said.
  const [convexAuthenticated, setConvexAuthenticated] = useState<boolean | null>(null);
  const [refreshing, setRefreshing] = useState(false);

  // The provider went back to loading: so do we (no flash of signed-out).
  if (providerLoading && convexAuthenticated !== null) {
    setConvexAuthenticated(null);
    setRefreshing(false);
  }
  // The provider says signed out: that settles it.
  if (!providerLoading && !providerAuthenticated && convexAuthenticated !== false) {
    setConvexAuthenticated(false);
    setRefreshing(false);
  }

  const isAuthenticated = providerAuthenticated && (convexAuthenticated ?? false);
  const isLoading = convexAuthenticated === null;
  const isRefreshing = refreshing && isAuthenticated;
  const state = useMemo(() => ({ isLoading, isAuthenticated, isRefreshing }), [isLoading, isAuthenticated, isRefreshing]);

  const effectProps = {
    client,
    providerLoading,
    providerAuthenticated,
    connect,
    connectKey,
    setConvexAuthenticated,
    setRefreshing,
  };
  return createElement(
    ConvexAuthContext.Provider,
    { value: state },
    // Before the children, so auth is set before their subscriptions start;
    createElement(ConnectFirst, effectProps),
    createElement(ConvexProvider, { client }, children),
    // after them, so their unsubscriptions happen before auth is cleared.
    createElement(ClearLast, effectProps),
  );
}

interface EffectProps {
  client: ConvexWasmClient;
  providerLoading: boolean;
  providerAuthenticated: boolean;
  connect: Connect;
  connectKey: unknown;
  setConvexAuthenticated: (v: boolean | null | ((prev: boolean | null) => boolean | null)) => void;
  setRefreshing: (v: boolean) => void;
}

function ConnectFirst({
  client,
  providerLoading,
  providerAuthenticated,
  connect,
  connectKey,
  setConvexAuthenticated,
  setRefreshing,
}: EffectProps) {
  useEffect(() => {
    if (!providerAuthenticated) {
      return;
    }
    let relevant = true;
    connect(
      client,
      (authenticated) => {
        if (relevant) setConvexAuthenticated(authenticated);
      },
      (r) => {
        if (relevant) setRefreshing(r);
      },
    );
    return () => {
      relevant = false;
      // Unmounted or changed before the outcome: not loaded, not signed in.
      setConvexAuthenticated((prev) => (prev ? false : null));
      setRefreshing(false);
    };
    // connect is keyed by connectKey.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, providerAuthenticated, providerLoading, connectKey, setConvexAuthenticated, setRefreshing]);
  return null;
}

function ClearLast({
  client,
  providerLoading,
  providerAuthenticated,
  connectKey,
  setConvexAuthenticated,
  setRefreshing,
}: EffectProps) {
  useEffect(() => {
    if (!providerAuthenticated) {
      return;
    }
    return () => {
      client.clearAuth();
      // Loading again: a new token source may follow at once.
      setConvexAuthenticated(null);
      setRefreshing(false);
    };
  }, [client, providerAuthenticated, providerLoading, connectKey, setConvexAuthenticated, setRefreshing]);
  return null;
}

/**
 * convex/react's ConvexProviderWithAuth for the wasm client. useAuth is a
 * hook returning the provider's {isLoading, isAuthenticated,
 * fetchAccessToken}; fetchAccessToken must keep its identity across renders.
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
  const connect = useMemo<Connect>(
    () => (c, onChange, onRefreshChange) => c.setAuth(fetchAccessToken, onChange, onRefreshChange),
    [fetchAccessToken],
  );
  return createElement(ConvexAuthBridge, {
    client,
    providerLoading: isLoading,
    providerAuthenticated: isAuthenticated,
    connect,
    connectKey: fetchAccessToken,
    children,
  });
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
  const signedIn = !!user;
  const userId = user?.id;
  // Re-connect when the token source or the user changes; isLoading
  // changes while connected only update the Go provider's state.
  const connectKey = useMemo(() => ({ getAccessToken, userId }), [getAccessToken, userId]);
  const connect = useMemo<Connect>(
    () => (c, onChange, onRefreshChange) =>
      c.setAuthKit(getAccessToken, { isLoading, signedIn }, onChange, onRefreshChange),
    // isLoading and signedIn at connection time; later changes go through authKitState.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [connectKey],
  );
  useEffect(() => {
    if (signedIn) {
      client.authKitState({ isLoading, signedIn });
    }
  }, [client, isLoading, signedIn]);
  return createElement(ConvexAuthBridge, {
    client,
    providerLoading: isLoading,
    providerAuthenticated: signedIn,
    connect,
    connectKey,
    children,
  });
}
