/**
 * The sync WebSocket URL the Go client dials, shared by the loader (which
 * opens it early) and the head start (which opens it from the page's HTML).
 *
 * @module
 */

/**
 * The npm client version the Go client names in its sync URL
 * (client.ProtocolVersion in client/url.go): a socket opened early must be
 * to the URL the Go client dials, or the Go client dials its own.
 */
export const PROTOCOL_VERSION = "1.48.0";

/**
 * The sync WebSocket URL of a deployment, as the Go client derives it
 * (client/url.go, syncURL), or undefined where the Go client would refuse
 * to connect or the URL is not one to open early: only https://, or
 * http:// to a loopback host, and not *.convex.site.
 */
export function syncUrl(address: string): string | undefined {
  const m = /^(https?):\/\/(\[[^\]]*\]|[^/:?#]*)/.exec(address);
  if (m === null) return undefined;
  const host = m[2]!.toLowerCase();
  if (host === "" || host.endsWith(".convex.site")) return undefined;
  if (m[1] === "http" && !/^(localhost|127(\.\d+){3}|\[::1\])$/.test(host)) return undefined;
  return (m[1] === "https" ? "wss" : "ws") + address.slice(m[1]!.length) + "/api/" + PROTOCOL_VERSION + "/sync";
}
