// Conformance: the official WorkOS Node SDK (@workos-inc/node) and jose
// against authkittest. The Go program in ./server starts an authkittest
// issuer with the users and redirect URI used here, plus a control API for
// fault injection. The SDK is pointed at it with its own options
// ({apiHostname, port, https: false}); nothing else is changed.
//
// Run: node --test tests/workos/   (needs `npm ci` and a Go toolchain)
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import {
  WorkOS,
  OauthException,
  GenericServerException,
  RateLimitExceededException,
  NotFoundException,
  UnauthorizedException,
} from "@workos-inc/node";
import { createRemoteJWKSet, jwtVerify, decodeJwt } from "jose";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const TIMEOUT = 20_000; // per test; none should come close
const COOKIE_PASSWORD = "a-cookie-password-of-at-least-32-characters!";

let tmp;
let bin;
const servers = [];

// startServer spawns the Go issuer and resolves with its JSON info line.
async function startServer(args = []) {
  const proc = spawn(bin, args, { stdio: ["pipe", "pipe", "inherit"] });
  servers.push(proc);
  const lines = readline.createInterface({ input: proc.stdout });
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start")), 30_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}`));
    });
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  const u = new URL(info.url);
  info.hostname = u.hostname;
  info.port = Number(u.port);
  return info;
}

let info; // the per-client issuer

before(
  async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "authkittest-workos-"));
    bin = path.join(tmp, "server");
    execFileSync("go", ["build", "-o", bin, "./tests/workos/server"], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    info = await startServer();
  },
  { timeout: 120_000 },
);

after(() => {
  for (const proc of servers) {
    proc.stdin.end();
    proc.kill("SIGTERM");
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------

// workos returns an SDK client for a server: confidential (API key) unless
// publicClient.
function workos(srv = info, { publicClient = false, ...extra } = {}) {
  const options = { apiHostname: srv.hostname, port: srv.port, https: false, clientId: srv.clientId, ...extra };
  return publicClient ? new WorkOS(options) : new WorkOS(srv.apiKey, options);
}

const ada = () => info.users[0];
const grace = () => info.users[1];

// signIn follows an authorize URL the way a person would: load the login
// form, post it back with credentials, and return the callback's query.
async function signIn(authorizeUrl, email, password) {
  const page = await fetch(authorizeUrl, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) });
  assert.equal(page.status, 200, "the login form");
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(unescapeHtml(m[1]), unescapeHtml(m[2]));
  }
  form.set("email", email);
  form.set("password", password);
  form.set("action", "approve");
  const action = new URL("/user_management/authorize", authorizeUrl);
  const res = await fetch(action, { method: "POST", body: form, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) });
  assert.equal(res.status, 302, "redirect back to the app");
  const location = new URL(res.headers.get("location"));
  assert.equal(location.origin + location.pathname, info.redirectUri);
  return location.searchParams;
}

function unescapeHtml(s) {
  return s
    .replaceAll("&#34;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&#43;", "+")
    .replaceAll("&amp;", "&");
}

// sessionFor signs ada in through the SDK's PKCE URL and code exchange.
async function sessionFor(client, user = ada(), extra = {}) {
  const pkce = await client.pkce.generate();
  const url = client.userManagement.getAuthorizationUrl({
    provider: "authkit",
    redirectUri: info.redirectUri,
    codeChallenge: pkce.codeChallenge,
    codeChallengeMethod: "S256",
    ...extra,
  });
  const cb = await signIn(url, user.Email, user.Password);
  return client.userManagement.authenticateWithCode({ code: cb.get("code"), codeVerifier: pkce.codeVerifier });
}

async function control(srv, route, body) {
  const res = await fetch(srv.control + route, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT),
  });
  assert.equal(res.status, 200);
  return res.json();
}

async function requestCount(srv, route) {
  return (await control(srv, "/requests?route=" + encodeURIComponent(route))).count;
}

// ---- JWKS and tokens -------------------------------------------------------

describe("keys and tokens", () => {
  test("getJwksUrl points at the served key set", { timeout: TIMEOUT }, async () => {
    const url = workos().userManagement.getJwksUrl(info.clientId);
    assert.equal(url, info.jwksUrl);
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    const { keys } = await res.json();
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]).sort(), ["alg", "e", "kid", "kty", "n", "use", "x5c", "x5t#S256"]);
    assert.equal(keys[0].alg, "RS256");
  });

  test("jose verifies an access token against getJwksUrl (per-client issuer, no aud)", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const res = await sessionFor(client);
    const jwks = createRemoteJWKSet(new URL(client.userManagement.getJwksUrl(info.clientId)));
    const { payload, protectedHeader } = await jwtVerify(res.accessToken, jwks, {
      issuer: `https://api.workos.com/user_management/${info.clientId}`,
      algorithms: ["RS256"],
      requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
    });
    assert.equal(info.issuer, payload.iss);
    assert.equal(protectedHeader.typ, "JWT");
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, ada().ID);
    assert.match(payload.sid, /^session_01/);
    assert.equal(payload.exp - payload.iat, 300);
    assert.equal(payload.aud, undefined);
  });

  test("legacy issuer mode adds aud = client id", { timeout: 60_000 }, async () => {
    const legacy = await startServer(["-issuer", "legacy", "-lifetime", "45s"]);
    const client = workos(legacy);
    // The SDK's own check of a session cookie verifies with its issuer option.
    const strict = workos(legacy, { issuer: "https://api.workos.com/" });
    const pkce = await client.pkce.generate();
    const url = client.userManagement.getAuthorizationUrl({
      provider: "authkit",
      redirectUri: legacy.redirectUri,
      codeChallenge: pkce.codeChallenge,
      codeChallengeMethod: "S256",
    });
    const cb = await signIn(url, ada().Email, ada().Password);
    const res = await client.userManagement.authenticateWithCode({
      code: cb.get("code"),
      codeVerifier: pkce.codeVerifier,
      session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
    });
    const jwks = createRemoteJWKSet(new URL(legacy.jwksUrl));
    const { payload } = await jwtVerify(res.accessToken, jwks, {
      issuer: "https://api.workos.com/",
      audience: legacy.clientId,
      algorithms: ["RS256"],
    });
    assert.equal(payload.exp - payload.iat, 45);
    const auth = await strict.userManagement.authenticateWithSessionCookie({
      sessionData: res.sealedSession,
      cookiePassword: COOKIE_PASSWORD,
    });
    assert.equal(auth.authenticated, true);
  });
});

// ---- sign-in ---------------------------------------------------------------

describe("sign-in", () => {
  test("getAuthorizationUrl -> login form -> authenticateWithCode", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const pkce = await client.pkce.generate();
    const state = JSON.stringify({ returnTo: "/x?a=1&b=2", n: "ü € +" });
    const url = client.userManagement.getAuthorizationUrl({
      provider: "authkit",
      redirectUri: info.redirectUri,
      state,
      codeChallenge: pkce.codeChallenge,
      codeChallengeMethod: "S256",
      loginHint: ada().Email,
    });
    assert.ok(url.startsWith(`${info.url}/user_management/authorize?`), url);
    const cb = await signIn(url, ada().Email, ada().Password);
    assert.equal(cb.get("state"), state, "state echoed as sent");

    const res = await client.userManagement.authenticateWithCode({ code: cb.get("code"), codeVerifier: pkce.codeVerifier });
    assert.equal(res.user.object, "user");
    assert.equal(res.user.id, ada().ID);
    assert.equal(res.user.email, "ada@example.com");
    assert.equal(res.user.emailVerified, true);
    assert.equal(res.user.firstName, "Ada");
    assert.equal(res.user.lastName, "Lovelace");
    assert.equal(res.user.name, "Ada Lovelace");
    assert.ok(res.user.createdAt && res.user.updatedAt && res.user.lastSignInAt);
    assert.equal(res.authenticationMethod, "Password");
    assert.equal(res.organizationId, undefined);
    assert.ok(res.refreshToken);
    assert.equal(res.sealedSession, undefined, "the server never sends sealed_session");
    assert.equal(decodeJwt(res.accessToken).sub, ada().ID);

    // The code is single-use.
    await assert.rejects(
      client.userManagement.authenticateWithCode({ code: cb.get("code"), codeVerifier: pkce.codeVerifier }),
      (e) => e instanceof OauthException && e.error === "invalid_grant" && e.status === 400,
    );
  });

  test("public client: getAuthorizationUrlWithPKCE + authenticateWithCodeAndVerifier, no API key", { timeout: TIMEOUT }, async () => {
    const client = workos(info, { publicClient: true });
    const { url, state, codeVerifier } = await client.userManagement.getAuthorizationUrlWithPKCE({
      provider: "authkit",
      redirectUri: info.redirectUri,
      screenHint: "sign-up",
    });
    const cb = await signIn(url, grace().Email, grace().Password);
    assert.equal(cb.get("state"), state);
    const res = await client.userManagement.authenticateWithCodeAndVerifier({ code: cb.get("code"), codeVerifier });
    assert.equal(res.user.id, grace().ID);
    // Two memberships and none asked for: no organization.
    assert.equal(res.organizationId, undefined);
  });

  test("organization sign-in puts org claims in the token", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const orgId = grace().Memberships[0].OrganizationID;
    const res = await sessionFor(client, grace(), { organizationId: orgId });
    assert.equal(res.organizationId, orgId);
    const claims = decodeJwt(res.accessToken);
    assert.equal(claims.org_id, orgId);
    assert.equal(claims.role, "admin");
    assert.deepEqual(claims.roles, ["admin"]);
    assert.deepEqual(claims.permissions, ["posts:read", "posts:write"]);
  });

  test("a wrong code verifier is invalid_grant", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const pkce = await client.pkce.generate();
    const other = await client.pkce.generate();
    const url = client.userManagement.getAuthorizationUrl({
      provider: "authkit",
      redirectUri: info.redirectUri,
      codeChallenge: pkce.codeChallenge,
      codeChallengeMethod: "S256",
    });
    const cb = await signIn(url, ada().Email, ada().Password);
    await assert.rejects(
      client.userManagement.authenticateWithCode({ code: cb.get("code"), codeVerifier: other.codeVerifier }),
      (e) => e instanceof OauthException && e.error === "invalid_grant",
    );
  });

  test("authenticateWithPassword needs the API key; bad credentials are a plain-shaped 400", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const res = await client.userManagement.authenticateWithPassword({ email: ada().Email, password: ada().Password });
    assert.equal(res.user.id, ada().ID);
    assert.equal(res.authenticationMethod, "Password");
    await assert.rejects(
      client.userManagement.authenticateWithPassword({ email: ada().Email, password: "nope" }),
      (e) => e instanceof GenericServerException && e.status === 400 && e.rawData.code === "invalid_credentials",
    );
  });
});

// ---- refresh ---------------------------------------------------------------

describe("refresh", () => {
  test("authenticateWithRefreshToken rotates; replay within the window returns the same pair", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const first = await sessionFor(client);
    const second = await client.userManagement.authenticateWithRefreshToken({ refreshToken: first.refreshToken });
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal(decodeJwt(second.accessToken).sid, decodeJwt(first.accessToken).sid, "same session");
    assert.equal(second.user.id, ada().ID);

    const replay = await client.userManagement.authenticateWithRefreshToken({ refreshToken: first.refreshToken });
    assert.equal(replay.refreshToken, second.refreshToken);
    assert.equal(replay.accessToken, second.accessToken);

    // A public client (authkit-js style, no client_secret) rotates the new one.
    const pub = workos(info, { publicClient: true });
    const third = await pub.userManagement.authenticateWithRefreshToken({ refreshToken: second.refreshToken });
    assert.notEqual(third.refreshToken, second.refreshToken);
  });

  test("organizationId switches the session's organization", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const [acme, navy] = grace().Memberships.map((m) => m.OrganizationID);
    const start = await sessionFor(client, grace(), { organizationId: acme });
    const switched = await client.userManagement.authenticateWithRefreshToken({
      refreshToken: start.refreshToken,
      organizationId: navy,
    });
    assert.equal(switched.organizationId, navy);
    const claims = decodeJwt(switched.accessToken);
    assert.equal(claims.org_id, navy);
    assert.equal(claims.role, "member");
    assert.equal(claims.sid, decodeJwt(start.accessToken).sid);
  });

  test("an unknown refresh token is invalid_grant", { timeout: TIMEOUT }, async () => {
    await assert.rejects(
      workos().userManagement.authenticateWithRefreshToken({ refreshToken: "not-a-refresh-token" }),
      (e) => e instanceof OauthException && e.error === "invalid_grant" && e.status === 400,
    );
  });

  test("sealed sessions: authenticateWithSessionCookie and CookieSession.refresh", { timeout: TIMEOUT }, async () => {
    const client = workos(info, { issuer: info.issuer });
    const res = await sessionFor(client, ada(), {});
    const sealed = await client.userManagement.authenticateWithRefreshToken({
      refreshToken: res.refreshToken,
      session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
    });
    assert.ok(sealed.sealedSession);
    // The SDK fetches the JWKS from getJwksUrl and checks the issuer option.
    const auth = await client.userManagement.authenticateWithSessionCookie({
      sessionData: sealed.sealedSession,
      cookiePassword: COOKIE_PASSWORD,
    });
    assert.equal(auth.authenticated, true, JSON.stringify(auth));
    assert.equal(auth.user.id, ada().ID);
    assert.match(auth.sessionId, /^session_01/);

    const session = client.userManagement.loadSealedSession({ sessionData: sealed.sealedSession, cookiePassword: COOKIE_PASSWORD });
    const refreshed = await session.refresh();
    assert.equal(refreshed.authenticated, true, JSON.stringify(refreshed));
    assert.equal(refreshed.sessionId, auth.sessionId);

    // A different issuer expectation fails verification.
    const wrongIssuer = workos(info, { issuer: "https://api.workos.com/" });
    const bad = await wrongIssuer.userManagement.authenticateWithSessionCookie({
      sessionData: refreshed.sealedSession,
      cookiePassword: COOKIE_PASSWORD,
    });
    assert.equal(bad.authenticated, false);
    assert.equal(bad.reason, "invalid_jwt");
  });
});

// ---- logout and admin ------------------------------------------------------

describe("sessions", () => {
  test("getLogoutUrl -> logout ends the session; its refresh tokens fail", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const res = await sessionFor(client);
    const sid = decodeJwt(res.accessToken).sid;
    const returnTo = `${info.appOrigin}/signed-out`;
    const url = client.userManagement.getLogoutUrl({ sessionId: sid, returnTo });
    assert.ok(url.startsWith(`${info.url}/user_management/sessions/logout?`), url);
    const out = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(out.status, 302);
    assert.equal(out.headers.get("location"), returnTo);

    await assert.rejects(
      client.userManagement.authenticateWithRefreshToken({ refreshToken: res.refreshToken }),
      (e) => e instanceof OauthException && e.error === "invalid_grant",
    );

    // CookieSession classifies it as terminal.
    const sealed = await sessionFor(client);
    const cookie = await client.userManagement.authenticateWithRefreshToken({
      refreshToken: sealed.refreshToken,
      session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
    });
    const logoutUrl = await client.userManagement
      .loadSealedSession({ sessionData: cookie.sealedSession, cookiePassword: COOKIE_PASSWORD })
      .getLogoutUrl({ returnTo });
    assert.equal((await fetch(logoutUrl, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) })).status, 302);
    const after = await client.userManagement
      .loadSealedSession({ sessionData: cookie.sealedSession, cookiePassword: COOKIE_PASSWORD })
      .refresh();
    assert.deepEqual(
      { authenticated: after.authenticated, reason: after.reason, retryable: after.retryable },
      { authenticated: false, reason: "invalid_grant", retryable: false },
    );
  });

  test("logout without session_id is a 422", { timeout: TIMEOUT }, async () => {
    const res = await fetch(`${info.url}/user_management/sessions/logout`, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(res.status, 422);
    assert.ok((await res.json()).message);
  });

  test("revokeSession and getUser use the API key", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const res = await sessionFor(client);
    await client.userManagement.revokeSession({ sessionId: decodeJwt(res.accessToken).sid });
    await assert.rejects(
      client.userManagement.authenticateWithRefreshToken({ refreshToken: res.refreshToken }),
      (e) => e instanceof OauthException && e.error === "invalid_grant",
    );

    const user = await client.userManagement.getUser(ada().ID);
    assert.equal(user.email, "ada@example.com");
    assert.equal(user.firstName, "Ada");
    assert.deepEqual(user.metadata, {});
    await assert.rejects(client.userManagement.getUser("user_01NOBODY"), (e) => e instanceof NotFoundException);
    const wrongKey = new WorkOS("sk_test_wrong", { apiHostname: info.hostname, port: info.port, https: false, clientId: info.clientId });
    await assert.rejects(wrongKey.userManagement.getUser(ada().ID), (e) => e instanceof UnauthorizedException);
  });
});

// ---- faults ----------------------------------------------------------------

describe("faults", () => {
  const route = "/user_management/authenticate";

  test("the SDK retries a 503 after Retry-After and succeeds", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const res = await sessionFor(client);
    const before = await requestCount(info, route);
    await control(info, "/fault", { route, status: 503, retryAfterMs: 1000, times: 1 });
    const next = await client.userManagement.authenticateWithRefreshToken({ refreshToken: res.refreshToken });
    assert.ok(next.accessToken);
    assert.equal((await requestCount(info, route)) - before, 2, "one faulted attempt, one retry");
  });

  test("a 429 surfaces as RateLimitExceededException with retryAfter; CookieSession calls it retryable", { timeout: TIMEOUT }, async () => {
    const client = workos(info, { maxRetries: 0 });
    const res = await sessionFor(client);
    await control(info, "/fault", { route, status: 429, retryAfterMs: 7000, times: 1 });
    await assert.rejects(
      client.userManagement.authenticateWithRefreshToken({ refreshToken: res.refreshToken }),
      (e) => e instanceof RateLimitExceededException && e.retryAfter === 7,
    );

    const sealed = await client.userManagement.authenticateWithRefreshToken({
      refreshToken: res.refreshToken,
      session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
    });
    await control(info, "/fault", { route, status: 500, times: 1 });
    const after = await client.userManagement
      .loadSealedSession({ sessionData: sealed.sealedSession, cookiePassword: COOKIE_PASSWORD })
      .refresh();
    assert.equal(after.authenticated, false);
    assert.equal(after.retryable, true);
    assert.equal(after.reason, "server_error");
    await control(info, "/clear", {});
  });
});
