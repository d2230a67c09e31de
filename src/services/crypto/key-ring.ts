/**
 * Key rings for secrets kept at rest: a JSON object naming the current key and every key still needed to
 * read older values, `{ "current": "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }`. Each key is
 * 32 random bytes. New values are written under `current`; a value names the key it was written under, so
 * a ring can gain a key (which becomes current) and drop an old one once nothing refers to it any more.
 * The same shape serves the AES-GCM encryption keys and the HMAC peppers.
 */
import { z } from "zod";

/** A key id: it travels inside stored values (`v1.<kid>.`), so no dots, and is safe in logs. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Bytes of every key of a ring: AES-256 keys, and HMAC-SHA-256 peppers as long as the hash. */
export const KEY_BYTES = 32;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 (padded) to bytes; undefined when the text is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Bytes to standard base64 (padded). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const KeyMaterial = z
  .string()
  .refine((text) => fromBase64(text)?.length === KEY_BYTES, `must be ${KEY_BYTES} bytes in base64`);

/** A parsed key ring: which key is current, and each key's base64 material by id. */
export const KeyRingSchema = z
  .object({
    current: z.string().regex(KEY_ID_PATTERN, "must match [A-Za-z0-9_-]{1,64}"),
    keys: z.record(z.string().regex(KEY_ID_PATTERN, "key ids must match [A-Za-z0-9_-]{1,64}"), KeyMaterial),
  })
  .strict()
  .refine((ring) => Object.hasOwn(ring.keys, ring.current), {
    message: "current must name one of keys",
    path: ["current"],
  });

export type KeyRingSpec = z.infer<typeof KeyRingSchema>;

/**
 * Parses a key ring from its JSON text. Errors say what is wrong and never quote the input: it is key
 * material (JSON.parse's own messages would echo it).
 */
export function parseKeyRing(name: string, json: string): KeyRingSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  const parsed = KeyRingSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(
      `${name} must be {"current": "<kid>", "keys": {"<kid>": "<32 bytes base64>"}} (${where})`,
    );
  }
  return parsed.data;
}

/** The zod type of a key-ring setting: its JSON text in, the parsed ring out (for the Worker's configuration). */
export const keyRingSetting = (name: string) =>
  z.string().transform((json, ctx) => {
    try {
      return parseKeyRing(name, json);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A new key id: the date and a random suffix, so ids sort by age and never collide. */
export function newKeyId(now = new Date()): string {
  return `${now.toISOString().slice(0, 10).replaceAll("-", "")}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A ring with one fresh key, current. */
export function generateKeyRing(kid = newKeyId()): KeyRingSpec {
  return { current: kid, keys: { [kid]: toBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES))) } };
}

/** The ring with a fresh key added and made current; the others stay, so older values remain readable. */
export function addKey(ring: KeyRingSpec, kid = newKeyId()): KeyRingSpec {
  if (Object.hasOwn(ring.keys, kid)) throw new Error(`the ring already has a key ${kid}`);
  const fresh = generateKeyRing(kid);
  return { current: kid, keys: { ...ring.keys, ...fresh.keys } };
}
