/**
 * Where the app finds its Convex deployment and WorkOS environment.
 *
 * Built with VITE_CONVEX_URL and VITE_WORKOS_CLIENT_ID, it talks to the real
 * services (WorkOS on its default host, over https). Built without them (the
 * default, as `make demo` does), it asks the server that serves it for
 * /config.json: the local dev stack answers with its deployment and issuer
 * on loopback.
 */
export interface AppConfig {
  convexUrl: string;
  workosClientId: string;
  /** Where WorkOS sends the browser back with ?code=…; its path is the callback route. */
  redirectUri: string;
  /** The WorkOS API host (default api.workos.com). */
  apiHostname?: string;
  /** The WorkOS API port (default: the scheme's). */
  apiPort?: number;
  /** false for the local issuer (default true). */
  https?: boolean;
  /** True when the config came from the local dev stack. */
  local: boolean;
  /** "server": a Go server holds the session (examples/server); tokens come from its /auth/token. */
  authMode?: "client" | "server";
}

interface DevStackConfig {
  convexUrl: string;
  workosClientId: string;
  apiHostname: string;
  apiPort: number;
  https: boolean;
  redirectUri: string;
  authMode?: "client" | "server";
}

export async function loadConfig(): Promise<AppConfig> {
  const env = import.meta.env;
  const convexUrl = env.VITE_CONVEX_URL?.trim();
  const clientId = env.VITE_WORKOS_CLIENT_ID?.trim();
  if (convexUrl || clientId) {
    if (!convexUrl || !clientId) {
      throw new Error(
        "Set both VITE_CONVEX_URL and VITE_WORKOS_CLIENT_ID when building for real Convex + WorkOS (or neither, for the local dev stack).",
      );
    }
    const config: AppConfig = {
      convexUrl,
      workosClientId: clientId,
      redirectUri: env.VITE_WORKOS_REDIRECT_URI?.trim() || `${window.location.origin}/callback`,
      local: false,
    };
    const apiHostname = env.VITE_WORKOS_API_HOSTNAME?.trim();
    if (apiHostname) {
      config.apiHostname = apiHostname;
    }
    return config;
  }

  let res: Response;
  try {
    res = await fetch("/config.json", { cache: "no-store" });
  } catch (e) {
    throw new Error(`Could not fetch /config.json from the dev stack: ${String(e)}`);
  }
  if (!res.ok || !res.headers.get("Content-Type")?.includes("json")) {
    throw new Error(
      `This build has no VITE_CONVEX_URL / VITE_WORKOS_CLIENT_ID and the server did not answer /config.json (HTTP ${res.status}). ` +
        "Serve it with the local dev stack (make demo), or rebuild it with those variables set.",
    );
  }
  const dev = (await res.json()) as DevStackConfig;
  return {
    convexUrl: dev.convexUrl,
    workosClientId: dev.workosClientId,
    redirectUri: dev.redirectUri,
    apiHostname: dev.apiHostname,
    apiPort: dev.apiPort,
    https: dev.https,
    local: true,
    authMode: dev.authMode,
  };
}
