// Conformance of the pending sign-in steps: the official WorkOS Node SDK
// (@workos-inc/node 11.0.0) against authkittest, for each step a sign-in
// can stop at and each grant that finishes one. The SDK must throw its
// AuthenticationException with the fields it parses (code,
// pendingAuthenticationToken, and rawData's user, organizations,
// authentication_factors, email, email_verification_id), and accept what
// the finishing calls answer (authenticateWithOrganizationSelection,
// authenticateWithTotp, authenticateWithEmailVerification,
// multiFactorAuth.createUserAuthFactor and challengeFactor). The sources
// of the shapes: node_modules/@workos-inc/node/lib/factory-BbGPjwhL.mjs
// (AuthenticationException, the serializers), @workos/openapi-spec 0.1.0
// (POST /user_management/authenticate: 403 codes, the grants' fields) and
// WorkOS's docs "reference/authkit/authentication-errors".
//
// Run: node --test tests/workos/   (needs `npm ci` and a Go toolchain)
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import {
  WorkOS,
  AuthenticationException,
  ApiKeyRequiredException,
  GenericServerException,
  NotFoundException,
  OauthException,
  isAuthenticationErrorData,
} from "@workos-inc/node";
import { decodeJwt } from "jose";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const TIMEOUT = 20_000;

let tmp;
let proc;
let info;

before(
  async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "authkittest-pending-"));
    const bin = path.join(tmp, "server");
    execFileSync("go", ["build", "-o", bin, "./tests/workos/server"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    proc = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = readline.createInterface({ input: proc.stdout });
    info = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("server did not start")), 30_000);
      proc.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
      lines.once("line", (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      });
    });
    const u = new URL(info.url);
    info.hostname = u.hostname;
    info.port = Number(u.port);
  },
  { timeout: 120_000 },
);

after(() => {
  if (proc) {
    proc.stdin.end();
    proc.kill("SIGTERM");
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function workos({ publicClient = false } = {}) {
  const options = { apiHostname: info.hostname, port: info.port, https: false, clientId: info.clientId };
  return publicClient ? new WorkOS(options) : new WorkOS(info.apiKey, options);
}

const user = (email) => info.users.find((u) => u.Email === email);
const olga = () => user("olga@example.com");
const tom = () => user("tom@example.com");
const mia = () => user("mia@example.com");
const eve = () => user("eve@example.com");

// totp is RFC 6238 (HMAC-SHA1, 30 s, 6 digits) of a base32 secret, as an
// authenticator app computes it: independent of the Go code.
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// stepOf signs u in with the password grant and returns the
// AuthenticationException the SDK throws, checked for code and status.
async function stepOf(u, code) {
  let err;
  await assert.rejects(workos().userManagement.authenticateWithPassword({ email: u.Email, password: u.Password }), (e) => {
    err = e;
    return true;
  });
  assert.ok(err instanceof AuthenticationException, `${err?.name}: ${err?.message}`);
  assert.equal(err.status, 403);
  assert.equal(err.code, code);
  assert.ok(isAuthenticationErrorData(err.rawData));
  assert.equal(typeof err.pendingAuthenticationToken, "string");
  assert.ok(err.pendingAuthenticationToken.length > 0);
  return err;
}

// rejectsWithCode checks a plain {"code","message"} 400.
async function rejectsWithCode(promise, code) {
  await assert.rejects(promise, (e) => e instanceof GenericServerException && e.status === 400 && e.rawData.code === code && !!e.message);
}

async function emailCode(userId) {
  const res = await fetch(`${info.control}/email-code?user=${encodeURIComponent(userId)}`, { signal: AbortSignal.timeout(TIMEOUT) });
  return (await res.json()).code;
}

describe("pending steps", () => {
  test("organization_selection_required -> authenticateWithOrganizationSelection", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const e = await stepOf(olga(), "organization_selection_required");
    assert.equal(e.message, "The user must choose an organization to finish their authentication.");
    assert.deepEqual(e.rawData.organizations, [
      { id: "org_01HRDMC6CM357W30QMHMQ96Q0S", name: "Analytical Engines" },
      { id: "org_01HRDMC6CM357W30QMHMQ96NAV", name: "Navy" },
    ]);
    assert.equal(e.rawData.user.id, olga().ID);
    assert.equal(e.rawData.user.object, "user");

    const pendingAuthenticationToken = e.pendingAuthenticationToken;
    await rejectsWithCode(
      client.userManagement.authenticateWithOrganizationSelection({ pendingAuthenticationToken, organizationId: "org_01NOTAMEMBER" }),
      "organization_membership_not_found",
    );
    const res = await client.userManagement.authenticateWithOrganizationSelection({
      pendingAuthenticationToken,
      organizationId: "org_01HRDMC6CM357W30QMHMQ96Q0S",
    });
    assert.equal(res.user.id, olga().ID);
    assert.equal(res.organizationId, "org_01HRDMC6CM357W30QMHMQ96Q0S");
    assert.equal(res.authenticationMethod, "Password");
    const claims = decodeJwt(res.accessToken);
    assert.equal(claims.org_id, "org_01HRDMC6CM357W30QMHMQ96Q0S");
    assert.equal(claims.role, "admin");

    // Single-use.
    await rejectsWithCode(
      client.userManagement.authenticateWithOrganizationSelection({ pendingAuthenticationToken, organizationId: "org_01HRDMC6CM357W30QMHMQ96NAV" }),
      "invalid_pending_authentication_token",
    );
  });

  test("the code exchange stops at the same step unless the sign-in named an organization", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const signIn = async (extra) => {
      const pkce = await client.pkce.generate();
      const url = client.userManagement.getAuthorizationUrl({
        provider: "authkit",
        redirectUri: info.redirectUri,
        codeChallenge: pkce.codeChallenge,
        codeChallengeMethod: "S256",
        ...extra,
      });
      const page = await (await fetch(url, { signal: AbortSignal.timeout(TIMEOUT) })).text();
      const form = new URLSearchParams();
      for (const m of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) form.append(m[1], m[2].replaceAll("&amp;", "&"));
      form.set("email", olga().Email);
      form.set("password", olga().Password);
      form.set("action", "approve");
      const res = await fetch(new URL("/user_management/authorize", url), { method: "POST", body: form, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT) });
      const code = new URL(res.headers.get("location")).searchParams.get("code");
      return client.userManagement.authenticateWithCode({ code, codeVerifier: pkce.codeVerifier });
    };
    await assert.rejects(signIn({}), (e) => e instanceof AuthenticationException && e.code === "organization_selection_required" && !!e.pendingAuthenticationToken);
    const res = await signIn({ organizationId: "org_01HRDMC6CM357W30QMHMQ96NAV" });
    assert.equal(res.organizationId, "org_01HRDMC6CM357W30QMHMQ96NAV");
  });

  test("mfa_challenge -> multiFactorAuth.challengeFactor -> authenticateWithTotp", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const e = await stepOf(tom(), "mfa_challenge");
    assert.equal(e.message, "The user must complete an MFA challenge to finish authenticating.");
    assert.equal(e.rawData.user.id, tom().ID);
    assert.equal(e.rawData.authentication_factors.length, 1);
    const factor = e.rawData.authentication_factors[0];
    assert.equal(factor.type, "totp");
    assert.match(factor.id, /^auth_factor_01/);

    const challenge = await client.multiFactorAuth.challengeFactor({ authenticationFactorId: factor.id });
    assert.equal(challenge.object, "authentication_challenge");
    assert.match(challenge.id, /^auth_challenge_01/);
    assert.equal(challenge.authenticationFactorId, factor.id);
    assert.equal(challenge.expiresAt, undefined, "TOTP challenges do not expire");
    assert.ok(challenge.createdAt && challenge.updatedAt);

    const args = { pendingAuthenticationToken: e.pendingAuthenticationToken, authenticationChallengeId: challenge.id };
    const good = totp(tom().TOTPSecret);
    await rejectsWithCode(client.userManagement.authenticateWithTotp({ ...args, code: good === "000000" ? "111111" : "000000" }), "invalid_one_time_code");
    const res = await client.userManagement.authenticateWithTotp({ ...args, code: good });
    assert.equal(res.user.id, tom().ID);
    assert.ok(res.accessToken && res.refreshToken);
    assert.equal(decodeJwt(res.accessToken).sub, tom().ID);
  });

  test("mfa_enrollment -> multiFactorAuth.createUserAuthFactor -> authenticateWithTotp; challenged next time", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const e = await stepOf(mia(), "mfa_enrollment");
    assert.equal(e.message, "The user must enroll in MFA to finish authenticating.");
    assert.equal(e.rawData.user.id, mia().ID);

    const { authenticationFactor: f, authenticationChallenge: c } = await client.multiFactorAuth.createUserAuthFactor({
      userId: e.rawData.user.id,
      type: "totp",
      totpIssuer: "Conformance",
    });
    assert.equal(f.object, "authentication_factor");
    assert.equal(f.type, "totp");
    assert.equal(f.userId, mia().ID);
    assert.equal(f.totp.issuer, "Conformance");
    assert.equal(f.totp.user, mia().Email);
    assert.match(f.totp.secret, /^[A-Z2-7]+$/);
    assert.equal(f.totp.uri, `otpauth://totp/Conformance:mia@example.com?issuer=Conformance&secret=${f.totp.secret}`);
    assert.equal(typeof f.totp.qrCode, "string");
    assert.equal(c.authenticationFactorId, f.id);

    const res = await client.userManagement.authenticateWithTotp({
      pendingAuthenticationToken: e.pendingAuthenticationToken,
      authenticationChallengeId: c.id,
      code: totp(f.totp.secret),
    });
    assert.equal(res.user.id, mia().ID);

    const next = await stepOf(mia(), "mfa_challenge");
    assert.deepEqual(next.rawData.authentication_factors, [{ id: f.id, type: "totp" }]);
  });

  test("email_verification_required -> authenticateWithEmailVerification", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const e = await stepOf(eve(), "email_verification_required");
    assert.equal(e.message, "Email ownership must be verified before authentication.");
    assert.equal(e.rawData.email, eve().Email);
    assert.match(e.rawData.email_verification_id, /^email_verification_01/);

    const code = await emailCode(eve().ID);
    assert.match(code, /^[0-9]{6}$/);
    const pendingAuthenticationToken = e.pendingAuthenticationToken;
    await rejectsWithCode(
      client.userManagement.authenticateWithEmailVerification({ pendingAuthenticationToken, code: code === "000000" ? "111111" : "000000" }),
      "invalid_one_time_code",
    );
    const res = await client.userManagement.authenticateWithEmailVerification({ pendingAuthenticationToken, code });
    assert.equal(res.user.id, eve().ID);
    assert.equal(res.user.emailVerified, true);
    // Verified for good.
    const again = await client.userManagement.authenticateWithPassword({ email: eve().Email, password: eve().Password });
    assert.equal(again.user.emailVerified, true);
  });

  test("the finishing grants need the API key", { timeout: TIMEOUT }, async () => {
    const e = await stepOf(olga(), "organization_selection_required");
    // The SDK does not offer them to public clients...
    await assert.rejects(
      workos({ publicClient: true }).userManagement.authenticateWithOrganizationSelection({
        pendingAuthenticationToken: e.pendingAuthenticationToken,
        organizationId: "org_01HRDMC6CM357W30QMHMQ96NAV",
      }),
      (err) => err instanceof ApiKeyRequiredException,
    );
    // ...and the server refuses them without client_secret.
    const res = await fetch(`${info.url}/user_management/authenticate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "urn:workos:oauth:grant-type:organization-selection",
        client_id: info.clientId,
        pending_authentication_token: e.pendingAuthenticationToken,
        organization_id: "org_01HRDMC6CM357W30QMHMQ96NAV",
      }),
      signal: AbortSignal.timeout(TIMEOUT),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "invalid_client");
  });
});

describe("switching organizations", () => {
  test("a refresh with organizationId moves the session; a refused organization leaves the refresh token usable", { timeout: TIMEOUT }, async () => {
    const client = workos();
    const e = await stepOf(olga(), "organization_selection_required");
    const start = await client.userManagement.authenticateWithOrganizationSelection({
      pendingAuthenticationToken: e.pendingAuthenticationToken,
      organizationId: "org_01HRDMC6CM357W30QMHMQ96Q0S",
    });
    await assert.rejects(
      client.userManagement.authenticateWithRefreshToken({ refreshToken: start.refreshToken, organizationId: "org_01NOSUCHORG" }),
      (err) => err instanceof NotFoundException && err.code === "organization_not_found",
    );
    const switched = await client.userManagement.authenticateWithRefreshToken({
      refreshToken: start.refreshToken,
      organizationId: "org_01HRDMC6CM357W30QMHMQ96NAV",
    });
    assert.equal(switched.organizationId, "org_01HRDMC6CM357W30QMHMQ96NAV");
    assert.equal(decodeJwt(switched.accessToken).org_id, "org_01HRDMC6CM357W30QMHMQ96NAV");
    assert.equal(decodeJwt(switched.accessToken).sid, decodeJwt(start.accessToken).sid);
    // A retired refresh token is a plain OAuth error, not a step.
    await assert.rejects(
      client.userManagement.authenticateWithRefreshToken({ refreshToken: "not-a-token", organizationId: "org_01HRDMC6CM357W30QMHMQ96NAV" }),
      (err) => err instanceof OauthException && err.error === "invalid_grant",
    );
  });
});
