/**
 * What came back from the hosted sign-in page when it did not sign the user
 * in: WorkOS (and the dev stack's issuer) redirect to the callback with
 * ?error=…&error_description=…&state=… instead of ?code=….
 */
export interface SignInError {
  /** The OAuth error code, e.g. "access_denied". */
  code: string;
  /** What to tell the user. */
  message: string;
}

const oauthParams = ["error", "error_description", "error_uri", "state"];

/**
 * Reads a failed sign-in from the page's URL and removes it from the URL
 * (and the address bar), leaving the callback path for "/". Returns null
 * when the URL carries no error.
 */
export function takeSignInError(loc: Location = window.location, history: History = window.history): SignInError | null {
  const url = new URL(loc.href);
  const code = url.searchParams.get("error");
  if (code === null) {
    return null;
  }
  const description = url.searchParams.get("error_description") ?? "";
  for (const p of oauthParams) url.searchParams.delete(p);
  if (url.pathname === "/callback") url.pathname = "/";
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return { code, message: describe(code, description) };
}

function describe(code: string, description: string): string {
  if (code === "access_denied") {
    return "Sign-in was cancelled: access was denied on the sign-in page. You are still signed out.";
  }
  return `Sign-in failed (${code})${description ? `: ${description}` : "."}`;
}
