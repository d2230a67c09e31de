/**
 * Where a webhook may be sent (SSRF): in production only https to a public host - no IP literal of a private,
 * loopback, link-local, shared or reserved range, no `localhost`, `.local`, `.internal` or `.home.arpa` name, no
 * credentials in the URL, no port other than 443 or 8443. Checked when an endpoint is saved and again before each
 * delivery (a rule tightened since still applies); redirects are never followed. Local development and tests
 * may send to local receivers over http.
 */

const PRIVATE_V4: ReadonlyArray<[number, number]> = [
  [0x00000000, 8], // "this" network
  [0x0a000000, 8], // private
  [0x64400000, 10], // shared address space (CGNAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata)
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0000200, 24], // documentation
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // documentation
  [0xcb007100, 24], // documentation
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const inRange = (address: number, [base, bits]: [number, number]) =>
  bits === 0 || address >>> (32 - bits) === base >>> (32 - bits);

/** An IPv6 literal (brackets removed) that is not a public unicast address. */
function privateV6(host: string): boolean {
  const h = host.toLowerCase();
  // Unspecified, loopback, and IPv4 written as IPv6 (mapped or compatible: the URL parser turns ::ffff:127.0.0.1
  // into ::ffff:7f00:1) - all start with "::".
  if (h.startsWith("::")) return true;
  return /^(f[cd]|fe[89ab]|ff)/.test(h) || h.startsWith("64:ff9b:") || h.startsWith("2001:db8:");
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|home\.arpa|localdomain|intranet)$/;

/** Why `raw` may not be a webhook's URL (null: it may). `local` allows http and local receivers. */
export function targetProblem(raw: string, local: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (url.hash) return "a URL fragment is not allowed";
  if (local) return url.protocol === "https:" || url.protocol === "http:" ? null : "http or https only";
  if (url.protocol !== "https:") return "https only";
  if (url.port !== "" && url.port !== "8443") return "port 443 or 8443 only";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const address = v4(host);
  if (address !== null) {
    return PRIVATE_V4.some((range) => inRange(address, range)) ? "a private or reserved address" : null;
  }
  if (host.includes(":")) return privateV6(host) ? "a private or reserved address" : null;
  if (!host.includes(".") || LOCAL_NAMES.test(host)) return "not a public host name";
  return null;
}
