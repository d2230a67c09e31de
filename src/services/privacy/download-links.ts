/**
 * Short-lived signed links to a file in R2: the link is the credential, so it can be opened in a browser or
 * handed to a download manager without a bearer token, and it stops working when it expires. The token is
 * `<kid>.<base64url key|expiry>.<base64url HMAC-SHA-256>` under a key derived from the signing keys for this use
 * only (services/auth/cookies `derivedHmacKeys`); the Worker checks it and serves the object.
 */
import type { AppConfig } from "../../config";
import { AppError } from "../../errors";
import { derivedHmacKeys } from "../auth/cookies";
import { fromBase64Url, toBase64Url } from "../crypto/base64url";

/** How long a link works. */
export const DOWNLOAD_LINK_SECONDS = 15 * 60;
const LABEL = "download-link/v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface SignedLink {
  token: string;
  expiresAt: Date;
}

/** A link token to the object `key`, valid until `now` + DOWNLOAD_LINK_SECONDS. */
export async function signDownload(config: AppConfig, key: string, now: Date): Promise<SignedLink> {
  const keys = await derivedHmacKeys(config, LABEL);
  const expiresAt = new Date(Math.floor(now.getTime() / 1000 + DOWNLOAD_LINK_SECONDS) * 1000);
  const payload = toBase64Url(encoder.encode(`${key}|${expiresAt.getTime() / 1000}`));
  const mac = await crypto.subtle.sign(
    "HMAC",
    keys.current.key,
    encoder.encode(`${keys.current.kid}.${payload}`),
  );
  return { token: `${keys.current.kid}.${payload}.${toBase64Url(new Uint8Array(mac))}`, expiresAt };
}

/** The object key a token names, if its signature holds and it has not expired; else 403 (never which). */
export async function openDownload(config: AppConfig, token: string, now: Date): Promise<string> {
  const refused = new AppError("forbidden", "The download link is invalid or has expired.");
  const [kid, payload, mac, extra] = token.split(".");
  if (!kid || !payload || !mac || extra !== undefined) throw refused;
  const keys = await derivedHmacKeys(config, LABEL);
  const key = keys.byKid.get(kid);
  if (!key) throw refused;
  let signature: Uint8Array<ArrayBuffer>;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64Url(mac);
    bytes = fromBase64Url(payload);
  } catch {
    throw refused;
  }
  if (!(await crypto.subtle.verify("HMAC", key, signature, encoder.encode(`${kid}.${payload}`))))
    throw refused;
  const text = decoder.decode(bytes);
  const cut = text.lastIndexOf("|");
  const expires = Number(text.slice(cut + 1));
  if (cut < 1 || !Number.isFinite(expires) || expires * 1000 <= now.getTime()) throw refused;
  return text.slice(0, cut);
}
