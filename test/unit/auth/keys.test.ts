import { describe, expect, it } from "vitest";
import { generateSigningKey, KID_PATTERN, loadSigningKeys } from "../../../src/services/auth/keys";

const keySet = async (...kids: string[]) => Promise.all(kids.map((kid) => generateSigningKey(kid)));

async function loadError(json: string): Promise<Error> {
  try {
    await loadSigningKeys(json);
  } catch (error) {
    return error as Error;
  }
  throw new Error("the key set was accepted");
}

describe("generateSigningKey", () => {
  it("makes an Ed25519 private JWK with a safe default kid, or the kid asked for", async () => {
    const key = await generateSigningKey();
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(key.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.kid).toMatch(KID_PATTERN);
    expect((await generateSigningKey()).kid).not.toBe(key.kid);
    expect((await generateSigningKey("2030-01")).kid).toBe("2030-01");
  });

  it("refuses a kid outside [A-Za-z0-9_-]{1,64}", async () => {
    for (const kid of ["", "../../etc/passwd", "' OR 1=1 --", "a".repeat(65)]) {
      await expect(generateSigningKey(kid)).rejects.toThrow(/key id/);
    }
  });
});

describe("loadSigningKeys", () => {
  it("takes the first key as current, keeps every key for verification and publishes public parts only", async () => {
    const jwks = await keySet("new", "old");
    const keys = await loadSigningKeys(JSON.stringify(jwks));
    expect(keys.current.kid).toBe("new");
    expect(keys.current.key.type).toBe("private");
    expect([...keys.byKid.keys()]).toEqual(["new", "old"]);
    for (const key of keys.byKid.values()) expect(key.type).toBe("public");
    expect(keys.jwks.keys).toEqual(
      jwks.map((k) => ({ kty: "OKP", crv: "Ed25519", x: k.x, kid: k.kid, alg: "EdDSA", use: "sig" })),
    );
    expect(JSON.stringify(keys.jwks)).not.toContain('"d"');
    for (const k of jwks) expect(JSON.stringify(keys.jwks)).not.toContain(k.d);
  });

  it("parses a given key set once per isolate", async () => {
    const json = JSON.stringify(await keySet("cached"));
    expect(await loadSigningKeys(json)).toBe(await loadSigningKeys(json));
  });

  it("refuses malformed key sets without echoing key material", async () => {
    const [a, b] = await keySet("a", "b");
    if (!a || !b) throw new Error("no keys");
    const cases: Array<[string, RegExp]> = [
      [`{"d":"${a.d}"`, /not valid JSON/],
      ["[]", /non-empty/],
      [JSON.stringify({ ...a }), /non-empty/],
      [JSON.stringify([a, { ...b, kid: "a" }]), /unique/],
      [JSON.stringify([{ ...a, kid: "../../etc/passwd" }]), /0\.kid/],
      [JSON.stringify([{ ...a, kid: "' OR 1=1 --" }]), /0\.kid/],
      [JSON.stringify([{ ...a, kid: undefined }]), /0\.kid/],
      [JSON.stringify([{ ...a, crv: "X25519" }]), /0\.crv/],
      [JSON.stringify([{ ...a, kty: "RSA" }]), /0\.kty/],
      [JSON.stringify([{ ...a, d: undefined }]), /0\.d/],
      [JSON.stringify([{ ...a, alg: "HS256" }]), /0\.alg/],
      [JSON.stringify([a, { ...b, x: a.x }]), /key 1 \(kid b\).*not the public key/],
    ];
    for (const [json, message] of cases) {
      const error = await loadError(json);
      expect(error.message, json).toMatch(message);
      for (const secret of [a.d, b.d] as string[]) expect(error.message).not.toContain(secret);
      expect(error.cause).toBeUndefined();
    }
  });
});
