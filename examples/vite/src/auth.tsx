/**
 * The app's view of sign-in, whichever side holds the session:
 *
 * - "client" (default): authkit-react in the browser (refresh token with
 *   authkit-js), as main.tsx sets it up;
 * - "server" (/config.json says authMode "server", examples/server): a Go
 *   server holds the session in an HttpOnly cookie (authkit/middleware);
 *   the browser asks it for access tokens at /auth/token and never sees a
 *   refresh token.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useAuth as useAuthKit } from "@workos-inc/authkit-react";
import type { AuthTokenFetcher } from "@goconvex/react";

export interface AppUser {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export interface AppAuth {
  isLoading: boolean;
  user: AppUser | null;
  signIn: () => void | Promise<void>;
  signOut: (opts?: { returnTo?: string }) => void;
}

interface ServerAuth extends AppAuth {
  fetchAccessToken: AuthTokenFetcher;
}

const ServerAuthContext = createContext<ServerAuth | null>(null);

/** useAuth for the app's components, in either mode. */
export function useAppAuth(): AppAuth {
  const server = useContext(ServerAuthContext);
  // The mode is fixed for the page's life, so the hooks called are too.
  if (server) {
    return server;
  }
  // eslint-disable-next-line react-hooks/rules-of-hooks
  return useAuthKit();
}

/** The useAuth of ConvexProviderWithAuth in server mode. */
export function useServerConvexAuth() {
  const auth = useContext(ServerAuthContext);
  if (!auth) {
    throw new Error("useServerConvexAuth needs a ServerAuthProvider");
  }
  return { isLoading: auth.isLoading, isAuthenticated: auth.user !== null, fetchAccessToken: auth.fetchAccessToken };
}

// postSignOut submits a form to the server's sign-out route: it answers
// same-origin POSTs only, so that no other site can sign the user out.
function postSignOut(returnTo: string): void {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = `/auth/sign-out?returnTo=${encodeURIComponent(returnTo)}`;
  document.body.appendChild(form);
  form.submit();
}

function localPath(returnTo: string | undefined): string {
  if (!returnTo) return "/";
  const u = new URL(returnTo, window.location.origin);
  return u.origin === window.location.origin ? u.pathname + u.search : "/";
}

/** Server mode: the session as the server's /auth/session reports it. */
export function ServerAuthProvider({ children }: { children?: ReactNode }) {
  const [state, setState] = useState<{ isLoading: boolean; user: AppUser | null }>({ isLoading: true, user: null });
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const res = await fetch("/auth/session", { cache: "no-store" });
        const s = res.ok ? await res.json() : { user: null };
        const u = s.user;
        if (live) {
          setState({
            isLoading: false,
            user: u ? { email: u.email, firstName: u.first_name ?? null, lastName: u.last_name ?? null } : null,
          });
        }
      } catch {
        if (live) setState({ isLoading: false, user: null });
      }
    })();
    return () => {
      live = false;
    };
  }, []);
  const fetchAccessToken = useCallback<AuthTokenFetcher>(async ({ forceRefreshToken }) => {
    const res = await fetch(forceRefreshToken ? "/auth/token?force=1" : "/auth/token", { cache: "no-store" });
    if (res.status === 401) {
      return null; // signed out
    }
    if (!res.ok) {
      throw new Error(`the server could not hand out a token (HTTP ${res.status})`);
    }
    return ((await res.json()) as { accessToken: string }).accessToken;
  }, []);
  const value = useMemo<ServerAuth>(
    () => ({
      ...state,
      fetchAccessToken,
      signIn: () => window.location.assign(`/auth/sign-in?returnTo=${encodeURIComponent(window.location.pathname)}`),
      signOut: (opts) => postSignOut(localPath(opts?.returnTo)),
    }),
    [state, fetchAccessToken],
  );
  return createElement(ServerAuthContext.Provider, { value }, children);
}
