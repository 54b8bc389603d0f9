// A chat page on the wasm client: AuthKit sign-in (authkit-react against
// authkittest), a live message list, and a send box.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { AuthKitProvider, useAuth } from "@workos-inc/authkit-react";
import {
  Authenticated,
  AuthLoading,
  ConvexProviderWithAuthKit,
  ConvexWasmClient,
  Unauthenticated,
  useConvexAuth,
  useMutation,
  useQuery,
} from "@goconvex/react";
import wasmUrl from "@goconvex/react/goconvex.wasm?url";

interface Config {
  convexUrl: string;
  authkitUrl: string;
  clientId: string;
}

interface Message {
  _id: string;
  body: string;
  author: string;
}

function Chat() {
  const { isLoading, isAuthenticated } = useConvexAuth();
  const { user, signIn, signOut } = useAuth();
  const messages = useQuery("messages:list") as Message[] | undefined;
  const viewer = useQuery("users:viewer") as { name: string } | null | undefined;
  const send = useMutation("messages:send");
  const [body, setBody] = useState("");
  const [error, setError] = useState("");
  return (
    <main>
      <p data-testid="auth-state">{isLoading ? "loading" : isAuthenticated ? "authenticated" : "unauthenticated"}</p>
      <AuthLoading>
        <p>Checking your session…</p>
      </AuthLoading>
      <Unauthenticated>
        <button onClick={() => void signIn()}>Sign in</button>
      </Unauthenticated>
      <Authenticated>
        <p data-testid="viewer">{viewer ? viewer.name : "…"}</p>
        <p data-testid="user">{user?.email}</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setError("");
            send({ body })
              .then(() => setBody(""))
              .catch((err: Error) => setError(err.message));
          }}
        >
          <input aria-label="message" value={body} onChange={(e) => setBody(e.target.value)} />
          <button type="submit">Send</button>
        </form>
        <button onClick={() => signOut({ returnTo: location.origin + "/" })}>Sign out</button>
      </Authenticated>
      <p data-testid="error">{error}</p>
      <p data-testid="count">{messages === undefined ? "loading" : `${messages.length} messages`}</p>
      <ul data-testid="messages">
        {messages === undefined ? <li>loading…</li> : messages.map((m) => <li key={m._id}>{`${m.author}: ${m.body}`}</li>)}
      </ul>
    </main>
  );
}

async function main() {
  const config = (await (await fetch("/config.json")).json()) as Config;
  const authkit = new URL(config.authkitUrl);
  const convex = new ConvexWasmClient(config.convexUrl, { wasm: wasmUrl, logLevel: "warn" });
  (globalThis as { convex?: ConvexWasmClient }).convex = convex;
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <AuthKitProvider
        clientId={config.clientId}
        apiHostname={authkit.hostname}
        port={Number(authkit.port)}
        https={false}
        devMode
        redirectUri={location.origin + "/"}
      >
        <ConvexProviderWithAuthKit client={convex} useAuth={useAuth}>
          <Chat />
        </ConvexProviderWithAuthKit>
      </AuthKitProvider>
    </StrictMode>,
  );
}

void main();
