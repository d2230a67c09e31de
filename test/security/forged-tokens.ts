import { base64url, type CompactJWSHeaderParameters, CompactSign } from "jose";
import { issueAccessToken, issueMfaToken } from "../../src/services/auth/jwt";
import { generateSigningKey, loadSigningKeys, type SigningKeys } from "../../src/services/auth/keys";

/** A live account's tokens and the verifier's settings: what an attacker varies one thing of. */
export interface TokenContext {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  accessToken: string;
  refreshToken: string;
  claims: { sub: string; tid: string; role: string; sid: string };
}

/** An attack: a name, and the `Authorization` values it sends (`undefined`: no header at all). */
export interface Attack {
  name: string;
  forge: (context: TokenContext) => Promise<Array<string | undefined>>;
}

const json = (value: unknown) => base64url.encode(JSON.stringify(value));
const now = () => Math.floor(Date.now() / 1000);

/** Our own header for an access token: each attack changes exactly one thing of it or of the payload. */
export const accessHeader = (context: TokenContext, overrides: Record<string, unknown> = {}) => ({
  alg: "EdDSA",
  typ: "at+jwt",
  kid: context.keys.current.kid,
  ...overrides,
});

/** The claims the API issues for the account, freshly dated, with overrides. */
export const accessPayload = (context: TokenContext, overrides: Record<string, unknown> = {}) => ({
  iss: context.issuer,
  aud: context.audience,
  ...context.claims,
  jti: crypto.randomUUID(),
  iat: now(),
  exp: now() + 600,
  ...overrides,
});

/** Signs any header and payload by hand (the real key unless another is given). */
export const craft = (
  context: TokenContext,
  header: Record<string, unknown>,
  payload: unknown,
  key?: CryptoKey | Uint8Array,
) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(key ?? context.keys.current.key);

const bearer = (token: string) => `Bearer ${token}`;
const signed = async (
  context: TokenContext,
  header: Record<string, unknown>,
  payload: unknown,
  key?: CryptoKey,
) => bearer(await craft(context, header, payload, key));

async function attackerKey(kid: string) {
  const jwk = await generateSigningKey(kid);
  const { key } = (await loadSigningKeys(JSON.stringify([jwk]))).current;
  return { key, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } };
}

/** Swaps the payload of a genuine token, keeping its header and signature. */
function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
  change(claims);
  return bearer(`${header}.${json(claims)}.${signature}`);
}

/** Every credential SECURITY.md says a release must refuse, plus malformed `Authorization` headers. */
export const ATTACKS: Attack[] = [
  { name: "no Authorization header", forge: async () => [undefined] },
  {
    name: "a malformed Authorization header",
    forge: async () => ["Bearer", "Bearer ", "Basic xyz", "Bearer a.b"],
  },
  {
    name: "the genuine token under another scheme",
    forge: async (c) => [`Basic ${c.accessToken}`, `Token ${c.accessToken}`],
  },
  {
    name: "a token that is not a JWS",
    forge: async () => ["Bearer a.b.c", "Bearer ..", `Bearer ${json({ alg: "EdDSA" })}..`],
  },
  {
    name: "an expired token (issued by the real keys an hour ago)",
    forge: async (c) => {
      const issued = await issueAccessToken(
        c.keys,
        { userId: c.claims.sub, tenantId: c.claims.tid, role: c.claims.role, sessionId: c.claims.sid },
        { issuer: c.issuer, audience: c.audience, now: new Date(Date.now() - 3_600_000) },
      );
      return [bearer(issued.token)];
    },
  },
  ...["none", "None", "NONE", "nOnE"].map((alg) => ({
    name: `alg "${alg}" (hand-built, no signature)`,
    forge: async (c: TokenContext) => [
      bearer(`${json(accessHeader(c, { alg }))}.${json(accessPayload(c))}.`),
    ],
  })),
  {
    name: "HS256 signed with the public key (key confusion)",
    forge: async (c) => {
      const publicJwk = c.keys.jwks.keys[0] ?? {};
      const secrets = [
        base64url.decode(publicJwk.x ?? ""),
        new TextEncoder().encode(JSON.stringify(publicJwk)),
      ];
      return Promise.all(
        secrets.map(async (secret) =>
          bearer(await craft(c, accessHeader(c, { alg: "HS256" }), accessPayload(c), secret)),
        ),
      );
    },
  },
  {
    name: "a kid with path traversal",
    forge: async (c) =>
      Promise.all(
        ["../../../../etc/passwd", "../keys/current", "/dev/null", `../${c.keys.current.kid}`].map((kid) =>
          signed(c, accessHeader(c, { kid }), accessPayload(c)),
        ),
      ),
  },
  {
    name: "a kid with SQL",
    forge: async (c) =>
      Promise.all(
        ["' OR '1'='1", `${c.keys.current.kid}' --`, "x' UNION SELECT 'secret' --"].map((kid) =>
          signed(c, accessHeader(c, { kid }), accessPayload(c)),
        ),
      ),
  },
  ...(["jku", "x5u", "jwk"] as const).map((member) => ({
    name: `an attacker "${member}" header, signed by the attacker's Ed25519 key`,
    forge: async (c: TokenContext) => {
      const attacker = await attackerKey("attacker-1");
      const value = {
        jku: "https://attacker.example/.well-known/jwks.json",
        x5u: "https://attacker.example/cert.pem",
        jwk: attacker.publicJwk,
      }[member];
      return Promise.all(
        ["attacker-1", c.keys.current.kid].map((kid) =>
          signed(c, accessHeader(c, { kid, [member]: value }), accessPayload(c), attacker.key),
        ),
      );
    },
  })),
  {
    name: "a future nbf",
    forge: async (c) => [await signed(c, accessHeader(c), accessPayload(c, { nbf: now() + 3600 }))],
  },
  {
    name: "a wrong aud",
    forge: async (c) =>
      Promise.all(
        ["https://other-api.example", `${c.audience}#mfa`, ["https://other-api.example"]].map((aud) =>
          signed(c, accessHeader(c), accessPayload(c, { aud })),
        ),
      ),
  },
  {
    name: "a wrong iss",
    forge: async (c) => [await signed(c, accessHeader(c), accessPayload(c, { iss: "https://evil.example" }))],
  },
  ...["JWT", "mfa+jwt", "application/jwt"].map((typ) => ({
    name: `typ "${typ}"`,
    forge: async (c: TokenContext) => [await signed(c, accessHeader(c, { typ }), accessPayload(c))],
  })),
  {
    name: "no typ",
    forge: async (c) => [await signed(c, accessHeader(c, { typ: undefined }), accessPayload(c))],
  },
  {
    name: "an MFA challenge token (issued by the real keys)",
    forge: async (c) => {
      const options = { issuer: c.issuer, audience: c.audience };
      const issued = await issueMfaToken(c.keys, { userId: c.claims.sub, tenantId: c.claims.tid }, options);
      return [bearer(issued.token)];
    },
  },
  { name: "the refresh token as a bearer token", forge: async (c) => [bearer(c.refreshToken)] },
  {
    name: "a token signed by a key outside the set",
    forge: async (c) =>
      Promise.all(
        [c.keys.current.kid, "k-stranger"].map(async (kid) =>
          signed(c, accessHeader(c, { kid }), accessPayload(c), (await attackerKey(kid)).key),
        ),
      ),
  },
  {
    name: "a genuine token with its payload changed after signing",
    forge: async (c) => [
      tamper(c.accessToken, (claims) => {
        claims.sub = crypto.randomUUID();
      }),
      tamper(c.accessToken, (claims) => {
        claims.role = "super_admin";
      }),
      tamper(c.accessToken, (claims) => {
        claims.tid = crypto.randomUUID();
      }),
      tamper(c.accessToken, (claims) => {
        claims.exp = now() + 86_400 * 365;
      }),
    ],
  },
];
