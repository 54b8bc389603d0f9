import { useEffect, useRef, useState, type FormEvent, type Ref } from "react";
import { useAppAuth as useAuth } from "./auth";
import { ConvexError } from "convex/values";
import {
  Authenticated,
  AuthLoading,
  Unauthenticated,
  useConvexAuth,
  useConvexConnectionState,
  useMutation,
  useQuery,
} from "@goconvex/react";
import { api } from "../convex/_generated/api";
import type { SignInError } from "./signin_error";
import type { Doc } from "../convex/_generated/dataModel";

/** One committed auth state, as the e2e tests read them from window.__authStates. */
export interface AuthStateEntry {
  /** performance.now() when the state was committed, in ms. */
  t: number;
  state: "loading" | "authenticated" | "unauthenticated";
  refreshing: boolean;
}

declare global {
  interface Window {
    __authStates?: AuthStateEntry[];
  }
}

export function App({ local, signInError = null }: { local: boolean; signInError?: SignInError | null }) {
  const state = useAuthStateLog();
  return (
    <div className="app" data-auth-state={state}>
      <header className="topbar">
        <h1>
          <span className="title">goconvex chat</span>
          {local && (
            <span className="badge" title="Convex and WorkOS stand-ins on loopback (make demo)">
              local dev stack
            </span>
          )}
        </h1>
        <AuthLoading>
          <p className="muted" role="status" data-testid="auth-loading">
            Checking sign-in…
          </p>
        </AuthLoading>
        <Authenticated>
          <Account />
        </Authenticated>
      </header>
      <ConnectionBanner />
      <main className="messages" aria-labelledby="messages-heading">
        <h2 id="messages-heading" className="visually-hidden">
          Messages
        </h2>
        <MessageList />
      </main>
      <footer className="composer-area">
        <Authenticated>
          <Composer />
        </Authenticated>
        <Unauthenticated>
          <SignInNotice error={signInError} />
          <SignInPrompt local={local} />
        </Unauthenticated>
      </footer>
    </div>
  );
}

/**
 * Records every committed auth state in window.__authStates (the e2e tests
 * check that it never goes back to loading once settled) and returns it.
 */
function useAuthStateLog(): AuthStateEntry["state"] {
  const { isLoading, isAuthenticated, isRefreshing } = useConvexAuth();
  const state = isLoading ? "loading" : isAuthenticated ? "authenticated" : "unauthenticated";
  useEffect(() => {
    (window.__authStates ??= []).push({ t: Math.round(performance.now()), state, refreshing: isRefreshing });
  }, [state, isRefreshing]);
  return state;
}

function Account() {
  const { user, signOut } = useAuth();
  const viewer = useQuery(api.users.viewer);
  const [signingOut, setSigningOut] = useState(false);
  // The deployment's view of the user (from the token's claims) once it
  // has answered; until then what AuthKit knows.
  const fallback = [user?.firstName, user?.lastName].filter(Boolean).join(" ") || user?.email || "";
  const name = viewer?.name ?? fallback;
  const email = viewer?.email || user?.email || "";
  const onSignOut = () => {
    setSigningOut(true);
    try {
      // Ends the WorkOS session and comes back here, signed out.
      signOut({ returnTo: `${window.location.origin}/` });
    } catch {
      // No session left in memory (it expired or was revoked): start afresh.
      window.location.assign("/");
    }
  };
  return (
    <div className="account">
      <p className="who">
        <span className="visually-hidden">Signed in as </span>
        <strong data-testid="viewer-name" data-source={viewer ? "convex" : "authkit"}>
          {name}
        </strong>
        {email && email !== name && (
          <span className="muted" data-testid="viewer-email">
            {email}
          </span>
        )}
      </p>
      <button type="button" className="secondary" onClick={onSignOut} disabled={signingOut} data-testid="sign-out">
        {signingOut ? "Signing out…" : "Sign out"}
      </button>
    </div>
  );
}

/** Why the last sign-in did not happen, until dismissed. */
function SignInNotice({ error }: { error: SignInError | null }) {
  const [shown, setShown] = useState(error !== null);
  if (!shown || error === null) {
    return null;
  }
  return (
    <div className="notice" role="alert" data-testid="sign-in-error" data-code={error.code}>
      <p>{error.message}</p>
      <button type="button" className="secondary" onClick={() => setShown(false)} aria-label="Dismiss">
        OK
      </button>
    </div>
  );
}

function SignInPrompt({ local }: { local: boolean }) {
  const { signIn } = useAuth();
  return (
    <div className="sign-in" data-testid="signed-out">
      <p>
        You are signed out. Sign in to send messages
        {local && (
          <>
            {" "}
            (as <code>demo@example.com</code> or <code>ada@example.com</code>, password <code>password</code>)
          </>
        )}
        .
      </p>
      <button type="button" onClick={() => void signIn()} data-testid="sign-in">
        Sign in
      </button>
    </div>
  );
}

function ConnectionBanner() {
  const { hasEverConnected, isWebSocketConnected } = useConvexConnectionState();
  if (!hasEverConnected || isWebSocketConnected) {
    return null;
  }
  return (
    <p className="banner" role="status" data-testid="reconnecting">
      Connection lost. Reconnecting…
    </p>
  );
}

function MessageList() {
  const messages = useQuery(api.messages.list);
  const viewer = useQuery(api.users.viewer);
  const end = useRef<HTMLLIElement>(null);
  const count = messages?.length ?? 0;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [count]);

  if (messages === undefined) {
    return (
      <p className="muted" role="status" data-testid="messages-loading">
        Loading messages…
      </p>
    );
  }
  if (messages.length === 0) {
    return (
      <p className="muted" data-testid="messages-empty">
        No messages yet. Say hello!
      </p>
    );
  }
  return (
    <ol className="message-list" aria-live="polite" data-testid="message-list">
      {messages.map((m, i) => (
        <Message
          key={m._id}
          message={m}
          mine={viewer != null && m.authorId === viewer.tokenIdentifier}
          ref={i === messages.length - 1 ? end : undefined}
        />
      ))}
    </ol>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function Message({ message, mine, ref }: { message: Doc<"messages">; mine: boolean; ref: Ref<HTMLLIElement> | undefined }) {
  const at = new Date(message._creationTime);
  return (
    <li ref={ref} className={mine ? "message mine" : "message"} data-testid="message" data-author={message.author}>
      <p className="meta">
        <span className="author" data-testid="message-author">
          {message.author}
        </span>
        {mine && <span className="muted"> (you)</span>}
        <time dateTime={at.toISOString()} className="muted">
          {timeFormat.format(at)}
        </time>
      </p>
      <p className="body" data-testid="message-body">
        {message.body}
      </p>
    </li>
  );
}

function Composer() {
  const send = useMutation(api.messages.send);
  const [body, setBody] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (text === "" || pending) {
      return;
    }
    setPending(true);
    setError(null);
    try {
      // Resolves once the message is in the list this client sees.
      await send({ body: text });
      setBody("");
    } catch (err) {
      setError(err instanceof ConvexError ? String(err.data) : err instanceof Error ? err.message : String(err));
    } finally {
      setPending(false);
      input.current?.focus();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit} aria-label="Send a message">
      <label htmlFor="message-body" className="visually-hidden">
        Message
      </label>
      <input
        id="message-body"
        ref={input}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        placeholder="Write a message…"
        autoComplete="off"
        maxLength={2000}
        aria-describedby={error ? "send-error" : undefined}
        data-testid="message-input"
      />
      <button type="submit" disabled={pending || body.trim() === ""} data-testid="send">
        {pending ? "Sending…" : "Send"}
      </button>
      {pending && (
        <span className="visually-hidden" role="status" data-testid="send-pending">
          Sending your message
        </span>
      )}
      {error && (
        <p id="send-error" className="error" role="alert" data-testid="send-error">
          {error}
        </p>
      )}
    </form>
  );
}
