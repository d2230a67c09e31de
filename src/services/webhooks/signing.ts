/**
 * Webhook signatures, Stripe-style: `FinEdge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` under
 * the endpoint's secret. A receiver recomputes the MAC over the raw body and refuses a timestamp more than a few
 * minutes away from its clock (a replayed delivery). Secrets are 32 random bytes, shown once.
 */

export const SIGNATURE_HEADER = "FinEdge-Signature";

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A new endpoint secret: `whsec_` and 32 random bytes in base64url. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "")}`;
}

/** The signature header's value for `body` sent at `at`. */
export async function signatureOf(secret: string, body: string, at: Date): Promise<string> {
  const t = Math.floor(at.getTime() / 1000);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${body}`));
  return `t=${t},v1=${hex(mac)}`;
}
