// The example app's handling of a sign-in that came back with ?error=…
// (Deny on the hosted sign-in page): a message, and a clean URL.
import { describe, expect, it } from "vitest";
import { takeSignInError } from "../../examples/vite/src/signin_error.js";

function at(href: string) {
  const calls: string[] = [];
  const history = { state: null, replaceState: (_s: unknown, _t: string, url: string) => void calls.push(url) } as unknown as History;
  return { loc: { href } as Location, history, calls };
}

describe("example app: takeSignInError", () => {
  it("reads access_denied, says the user is still signed out, and leaves /callback for /", () => {
    const { loc, history, calls } = at(
      "http://127.0.0.1:3000/callback?error=access_denied&error_description=The+user+denied+the+request.&state=%7B%22x%22%3A1%7D",
    );
    const e = takeSignInError(loc, history);
    expect(e?.code).toBe("access_denied");
    expect(e?.message).toMatch(/cancelled.*still signed out/);
    expect(calls).toEqual(["/"]);
  });

  it("keeps other query parameters and the hash, and names other errors with their description", () => {
    const { loc, history, calls } = at("http://127.0.0.1:3000/?room=a&error=invalid_request&error_description=Bad+PKCE#x");
    expect(takeSignInError(loc, history)).toEqual({ code: "invalid_request", message: "Sign-in failed (invalid_request): Bad PKCE" });
    expect(calls).toEqual(["/?room=a#x"]);
  });

  it("leaves a URL without an error alone", () => {
    const { loc, history, calls } = at("http://127.0.0.1:3000/callback?code=abc&state=s");
    expect(takeSignInError(loc, history)).toBeNull();
    expect(calls).toEqual([]);
  });
});
