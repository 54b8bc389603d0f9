import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { AuthKitProvider, useAuth } from "@workos-inc/authkit-react";
import { ConvexProviderWithAuth, ConvexProviderWithAuthKit, ConvexWasmClient } from "@goconvex/react";
import { App } from "./App";
import { ServerAuthProvider, useServerConvexAuth } from "./auth";
import { loadConfig, type AppConfig } from "./config";
import { takeSignInError } from "./signin_error";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
// Back from a sign-in that did not happen (Deny on the sign-in page): say
// so, and take ?error=… out of the URL before AuthKit reads it.
const signInError = takeSignInError();

try {
  const config = await loadConfig();
  // The Go client, compiled to WebAssembly: it loads in the background and
  // connects once ready; the hooks below render as convex/react's do.
  const convex = new ConvexWasmClient(config.convexUrl);
  root.render(
    <StrictMode>
      <Providers config={config} convex={convex}>
        <App local={config.local} signInError={signInError} />
      </Providers>
    </StrictMode>,
  );
} catch (e) {
  root.render(<StartupError error={e} />);
}

function Providers({ config, convex, children }: { config: AppConfig; convex: ConvexWasmClient; children: ReactNode }) {
  if (config.authMode === "server") {
    // A Go server (examples/server) holds the session in an HttpOnly
    // cookie; the Go client in the page asks it for access tokens.
    return (
      <ServerAuthProvider>
        <ConvexProviderWithAuth client={convex} useAuth={useServerConvexAuth}>
          {children}
        </ConvexProviderWithAuth>
      </ServerAuthProvider>
    );
  }
  return (
    <AuthKitProvider
      clientId={config.workosClientId}
      redirectUri={config.redirectUri}
      apiHostname={config.apiHostname}
      port={config.apiPort}
      https={config.https}
      // Back from the hosted sign-in page: authkit-js exchanged the code and
      // dropped ?code=&state=; leave the callback path too.
      onRedirectCallback={() => window.history.replaceState(null, "", "/")}
    >
      {/* The token lifecycle (last good token, refresh before expiry, retries)
          runs in Go; authkit-react only hands over getAccessToken. */}
      <ConvexProviderWithAuthKit client={convex} useAuth={useAuth}>
        {children}
      </ConvexProviderWithAuthKit>
    </AuthKitProvider>
  );
}

function StartupError({ error }: { error: unknown }) {
  return (
    <main className="startup-error" role="alert" data-testid="startup-error">
      <h1>The chat could not start</h1>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </main>
  );
}
