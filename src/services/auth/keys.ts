import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { z } from "zod";

/** A key id: safe in logs and headers, never a path or a query fragment (RFC 8725 s3.10). */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The one signing algorithm; verification is pinned to it (RFC 8725 s3.1, ASVS 9.1.2). */
export const SIGNING_ALGORITHM = "EdDSA";

/** Signing keys of this isolate: the current private key, every verification key by kid, the public JWKS. */
export interface SigningKeys {
  current: { kid: string; key: CryptoKey };
  byKid: Map<string, CryptoKey>;
  jwks: { keys: JWK[] };
}

// An Ed25519 coordinate or private scalar is 32 bytes: 43 base64url characters without padding (RFC 8037 s2).
const b64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const PrivateJwkSchema = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: b64url32,
  d: b64url32,
  kid: z.string().regex(KID_PATTERN),
  alg: z.literal(SIGNING_ALGORITHM).optional(),
  use: z.literal("sig").optional(),
});
const KeySetSchema = z
  .array(PrivateJwkSchema)
  .min(1)
  .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, { message: "kids must be unique" });

const cache = new Map<string, Promise<SigningKeys>>();
const PROBE = new TextEncoder().encode("finedge key pair probe");

/** Parses `JWT_SIGNING_KEYS` (private Ed25519 JWKs, current first) once per isolate per value. */
export function loadSigningKeys(json: string): Promise<SigningKeys> {
  let loaded = cache.get(json);
  if (!loaded) {
    // The secret rarely changes; a bound keeps a misbehaving caller from growing the map without limit.
    if (cache.size >= 16) cache.clear();
    loaded = parseSigningKeys(json);
    loaded.catch(() => cache.delete(json));
    cache.set(json, loaded);
  }
  return loaded;
}

async function parseSigningKeys(json: string): Promise<SigningKeys> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    // JSON.parse messages quote the input, which here is private key material: say only what is wrong.
    throw new Error("JWT_SIGNING_KEYS is not valid JSON");
  }
  const parsed = KeySetSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`).join("; ");
    throw new Error(
      `JWT_SIGNING_KEYS must be a non-empty JSON array of private Ed25519 JWKs with unique kids (${where})`,
    );
  }
  const byKid = new Map<string, CryptoKey>();
  const publicJwks: JWK[] = [];
  let current: SigningKeys["current"] | undefined;
  for (const [index, jwk] of parsed.data.entries()) {
    const publicJwk: JWK = {
      kty: jwk.kty,
      crv: jwk.crv,
      x: jwk.x,
      kid: jwk.kid,
      alg: SIGNING_ALGORITHM,
      use: "sig",
    };
    let privateKey: CryptoKey;
    let publicKey: CryptoKey;
    try {
      privateKey = (await importJWK(
        { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d },
        SIGNING_ALGORITHM,
      )) as CryptoKey;
      publicKey = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, SIGNING_ALGORITHM)) as CryptoKey;
    } catch {
      throw new Error(`JWT_SIGNING_KEYS key ${index} (kid ${jwk.kid}) cannot be imported as an Ed25519 key`);
    }
    // WebCrypto does not promise to check that x belongs to d; a mismatch would publish a JWKS that
    // verifies nothing we sign, so prove the pair once here.
    const signature = await crypto.subtle.sign("Ed25519", privateKey, PROBE);
    if (!(await crypto.subtle.verify("Ed25519", publicKey, signature, PROBE))) {
      throw new Error(`JWT_SIGNING_KEYS key ${index} (kid ${jwk.kid}): "x" is not the public key of "d"`);
    }
    byKid.set(jwk.kid, publicKey);
    publicJwks.push(publicJwk);
    current ??= { kid: jwk.kid, key: privateKey };
  }
  if (!current) throw new Error("JWT_SIGNING_KEYS holds no key");
  return { current, byKid, jwks: { keys: publicJwks } };
}

/** A new extractable Ed25519 private JWK with a kid, for key-rotation tooling and tests. */
export async function generateSigningKey(kid?: string): Promise<JWK> {
  const id = kid ?? `${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  if (!KID_PATTERN.test(id)) throw new Error("A key id must match [A-Za-z0-9_-]{1,64}");
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  return { kty, crv, x, d, kid: id, alg: SIGNING_ALGORITHM, use: "sig" };
}
