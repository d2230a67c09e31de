import type { AppConfig } from "../../config";
import { AppError } from "../../errors";
import { fromBase64Url, toBase64Url } from "../crypto/base64url";
import { loadSigningKeys } from "./keys";
import { generateOpaqueToken } from "./secrets";

/**
 * Cookie names without their prefix; `hono/cookie` adds it and enforces its rules. The refresh cookie is
 * `__Secure-` (its Path is not `/`, so it cannot be `__Host-`); the CSRF cookie is `__Host-`, so no sibling
 * subdomain can set or shadow it (a `__Host-` cookie cannot carry a Domain). The CSRF middleware reads them;
 * the auth routes set them (routes/auth/cookies).
 */
export const REFRESH_COOKIE = "finedge_refresh";
export const CSRF_COOKIE = "finedge_csrf";
export const REFRESH_COOKIE_NAME = `__Secure-${REFRESH_COOKIE}`;

const encoder = new TextEncoder();

/** HMAC keys (CSRF tokens, download links), one per signing key, by kid; new tokens use the current one. */
export interface CsrfKeys {
  current: { kid: string; key: CryptoKey };
  byKid: Map<string, CryptoKey>;
}

const cache = new Map<string, Promise<CsrfKeys>>();

/**
 * Why these keys: no new mandatory secret. Each CSRF key is derived with HKDF-SHA256 from the private scalar
 * `d` of a JWT signing key (32 uniformly random bytes), under a label used for nothing else, so it is
 * independent of the signing key and reveals nothing about it (RFC 5869 s3.3). Deriving one per kid means a
 * key rotation keeps outstanding tokens valid for as long as their key stays configured, exactly like
 * access tokens; removing a key invalidates its tokens.
 */
async function deriveHmacKeys(json: string, label: string): Promise<CsrfKeys> {
  await loadSigningKeys(json); // validates the set, with its careful error messages
  const jwks = JSON.parse(json) as Array<{ kid: string; d: string }>;
  const byKid = new Map<string, CryptoKey>();
  for (const { kid, d } of jwks) {
    const material = await crypto.subtle.importKey("raw", fromBase64Url(d), "HKDF", false, ["deriveKey"]);
    const key = await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: encoder.encode("finedge"),
        info: encoder.encode(label),
      },
      material,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    );
    byKid.set(kid, key);
  }
  const first = jwks[0];
  const currentKey = first && byKid.get(first.kid);
  if (!first || !currentKey) throw new Error("JWT_SIGNING_KEYS holds no key");
  return { current: { kid: first.kid, key: currentKey }, byKid };
}

/**
 * HMAC keys derived from the configured signing keys under `label` (once per isolate per value), or 503
 * without any. Each label names one use (CSRF tokens, download links), so no key serves two.
 */
export function derivedHmacKeys(config: AppConfig, label: string): Promise<CsrfKeys> {
  const json = config.JWT_SIGNING_KEYS;
  if (!json) throw new AppError("service_unavailable", "Token signing keys are not configured.");
  const cacheKey = `${label}\n${json}`;
  let keys = cache.get(cacheKey);
  if (!keys) {
    if (cache.size >= 16) cache.clear();
    keys = deriveHmacKeys(json, label);
    keys.catch(() => cache.delete(cacheKey));
    cache.set(cacheKey, keys);
  }
  return keys;
}

/** The CSRF keys of the configured signing keys. */
export const csrfKeys = (config: AppConfig): Promise<CsrfKeys> => derivedHmacKeys(config, "csrf-token/v1");

// kid . session id . nonce (128 bits) . HMAC-SHA256; no part can contain a dot, so the split is unambiguous.
const TOKEN =
  /^([A-Za-z0-9_-]{1,64})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const signedPart = (sessionId: string, nonce: string) => encoder.encode(`${sessionId}.${nonce}`);

/**
 * A signed double-submit token (OWASP CSRF cheat sheet): HMAC over the session id and a random nonce. Only
 * the server can mint one, and it is valid for its own session only, so a token planted from elsewhere - a
 * sibling subdomain, or the attacker's own session - does not pass.
 */
export async function issueCsrfToken(keys: CsrfKeys, sessionId: string): Promise<string> {
  const nonce = generateOpaqueToken(16);
  const mac = await crypto.subtle.sign("HMAC", keys.current.key, signedPart(sessionId, nonce));
  return `${keys.current.kid}.${sessionId}.${nonce}.${toBase64Url(new Uint8Array(mac))}`;
}

/** The session a CSRF token was issued for, when its signature holds; `undefined` for anything else. */
export async function verifyCsrfToken(keys: CsrfKeys, token: string): Promise<string | undefined> {
  const [, kid, sessionId, nonce, mac] = TOKEN.exec(token) ?? [];
  const key = kid ? keys.byKid.get(kid) : undefined;
  if (!key || !sessionId || !nonce || !mac) return undefined;
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", key, fromBase64Url(mac), signedPart(sessionId, nonce));
  return valid ? sessionId : undefined;
}
