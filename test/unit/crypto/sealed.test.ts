import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config";
import type { Bindings } from "../../../src/env";
import {
  addKey,
  generateKeyRing,
  type KeyRingSpec,
  parseKeyRing,
  toBase64,
} from "../../../src/services/crypto/key-ring";
import {
  importPepperKeys,
  pepperedCandidates,
  pepperedHash,
  pepperId,
} from "../../../src/services/crypto/peppered";
import {
  importSealingKeys,
  isSealed,
  open,
  openOrPlain,
  SealedValueError,
  seal,
  sealedKeyId,
} from "../../../src/services/crypto/sealed";

const CONTEXT = "users.totp_secret:7d0e9f7c-3b1a-4c55-9a3e-2f3c1d0b9a11";
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** Replaces one character of the base64url part `index` (1: kid, 2: iv, 3: ciphertext) of a sealed value. */
function tamper(value: string, index: number): string {
  const parts = value.split(".");
  const part = parts[index] as string;
  const at = Math.floor(part.length / 2);
  parts[index] = `${part.slice(0, at)}${part[at] === "A" ? "B" : "A"}${part.slice(at + 1)}`;
  return parts.join(".");
}

describe("sealed values", () => {
  it("round-trips, with a fresh IV every time and the key id in the clear", async () => {
    const keys = await importSealingKeys(generateKeyRing("k1"));
    const first = await seal(keys, SECRET, CONTEXT);
    const second = await seal(keys, SECRET, CONTEXT);
    expect(first).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain(SECRET);
    expect(isSealed(first)).toBe(true);
    expect(sealedKeyId(first)).toBe("k1");
    expect(await open(keys, first, CONTEXT)).toBe(SECRET);
    expect(await open(keys, second, CONTEXT)).toBe(SECRET);
    expect(await open(keys, await seal(keys, "", CONTEXT), CONTEXT)).toBe("");
    expect(await open(keys, await seal(keys, "ünïcode ✓", CONTEXT), CONTEXT)).toBe("ünïcode ✓");
  });

  it("refuses another record's associated data (a value copied to another row)", async () => {
    const keys = await importSealingKeys(generateKeyRing("k1"));
    const sealed = await seal(keys, SECRET, CONTEXT);
    await expect(
      open(keys, sealed, "users.totp_secret:00000000-0000-0000-0000-000000000000"),
    ).rejects.toThrow(SealedValueError);
    await expect(
      open(keys, sealed, "email_outbox.body_text:7d0e9f7c-3b1a-4c55-9a3e-2f3c1d0b9a11"),
    ).rejects.toThrow(/does not open/);
  });

  it("refuses a wrong key, even under the same key id", async () => {
    const sealed = await seal(await importSealingKeys(generateKeyRing("k1")), SECRET, CONTEXT);
    const impostor = await importSealingKeys(generateKeyRing("k1"));
    await expect(open(impostor, sealed, CONTEXT)).rejects.toThrow(/does not open under key k1/);
    const other = await importSealingKeys(generateKeyRing("k2"));
    await expect(open(other, sealed, CONTEXT)).rejects.toThrow(/key k1, which the ring does not have/);
  });

  it("refuses a tampered IV, ciphertext or tag, and malformed values", async () => {
    const keys = await importSealingKeys(generateKeyRing("k1"));
    const sealed = await seal(keys, SECRET, CONTEXT);
    await expect(open(keys, tamper(sealed, 2), CONTEXT)).rejects.toThrow(SealedValueError);
    await expect(open(keys, tamper(sealed, 3), CONTEXT)).rejects.toThrow(SealedValueError);
    await expect(open(keys, sealed.slice(0, -2), CONTEXT)).rejects.toThrow(SealedValueError);
    await expect(open(keys, `${sealed}AA`, CONTEXT)).rejects.toThrow(SealedValueError);
    for (const malformed of ["v1.k1", "v1.k1..", "v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA", SECRET]) {
      await expect(open(keys, malformed, CONTEXT)).rejects.toThrow(/not a sealed value/);
    }
  });

  it("reads legacy plaintext as it is and sealed values opened", async () => {
    const keys = await importSealingKeys(generateKeyRing("k1"));
    expect(await openOrPlain(keys, SECRET, CONTEXT)).toBe(SECRET);
    expect(isSealed(SECRET)).toBe(false);
    expect(await openOrPlain(keys, await seal(keys, SECRET, CONTEXT), CONTEXT)).toBe(SECRET);
  });

  it("rotates: a new current key seals, the old one still opens until it leaves the ring", async () => {
    const ring1 = generateKeyRing("k1");
    const old = await seal(await importSealingKeys(ring1), SECRET, CONTEXT);
    const ring2 = addKey(ring1, "k2");
    expect(ring2.current).toBe("k2");
    expect(Object.keys(ring2.keys).sort()).toEqual(["k1", "k2"]);
    const keys2 = await importSealingKeys(ring2);
    expect(await open(keys2, old, CONTEXT)).toBe(SECRET);
    const fresh = await seal(keys2, SECRET, CONTEXT);
    expect(sealedKeyId(fresh)).toBe("k2");
    const ring3: KeyRingSpec = { current: "k2", keys: { k2: ring2.keys.k2 as string } };
    const keys3 = await importSealingKeys(ring3);
    expect(await open(keys3, fresh, CONTEXT)).toBe(SECRET);
    await expect(open(keys3, old, CONTEXT)).rejects.toThrow(/k1/);
    expect(() => addKey(ring2, "k1")).toThrow(/already has/);
  });
});

describe("key rings", () => {
  const material = toBase64(crypto.getRandomValues(new Uint8Array(32)));

  it("parses a ring and refuses bad ones without echoing key material", () => {
    expect(parseKeyRing("R", JSON.stringify({ current: "a", keys: { a: material } })).current).toBe("a");
    const cases = [
      `{"current": "a", "keys": {"a": "${material}"`,
      JSON.stringify({ current: "b", keys: { a: material } }),
      JSON.stringify({ current: "a", keys: { a: material.slice(4) } }),
      JSON.stringify({ current: "a.b", keys: { "a.b": material } }),
      JSON.stringify({ current: "a", keys: { a: material }, extra: material }),
      JSON.stringify([material]),
    ];
    for (const json of cases) {
      let error: Error | undefined;
      try {
        parseKeyRing("SECRETS_ENCRYPTION_KEYS", json);
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).toMatch(/^SECRETS_ENCRYPTION_KEYS /);
      expect(error?.message).not.toContain(material.slice(4, 20));
    }
  });

  it("are required outside local development, and a malformed one is named, never quoted", () => {
    const base = { MODELS: {}, FILES: {} } as unknown as Bindings;
    const production = {
      ENVIRONMENT: "production",
      DATABASE_URL: "postgres://u:p@db.example/app",
      JWT_SIGNING_KEYS: "[]",
      EMAIL_API_KEY: "re_secret",
    };
    const settings = (vars: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...vars } as Bindings);
        return [];
      } catch (error) {
        return (error as ConfigError).settings;
      }
    };
    expect(settings(production).map((s) => s.split(":")[0])).toEqual([
      "SECRETS_ENCRYPTION_KEYS",
      "BACKUP_CODE_PEPPER",
    ]);
    const ring = JSON.stringify(generateKeyRing());
    expect(settings({ ...production, SECRETS_ENCRYPTION_KEYS: ring, BACKUP_CODE_PEPPER: ring })).toEqual([]);
    const broken = settings({ ...production, SECRETS_ENCRYPTION_KEYS: `${ring}x`, BACKUP_CODE_PEPPER: ring });
    expect(broken).toEqual(["SECRETS_ENCRYPTION_KEYS: SECRETS_ENCRYPTION_KEYS is not valid JSON"]);
    expect(new ConfigError(broken).message).not.toContain(ring.slice(30, 60));
    const config = loadConfig({ ...base, SECRETS_ENCRYPTION_KEYS: ring } as Bindings);
    expect(config.SECRETS_ENCRYPTION_KEYS?.current).toBe(JSON.parse(ring).current);
  });
});

describe("peppered hashes", () => {
  it("are HMACs under the current pepper, named by its id, and rotate without losing old values", async () => {
    const ring1 = generateKeyRing("p1");
    const keys1 = await importPepperKeys(ring1);
    const stored = await pepperedHash(keys1, "user:abcdefghjkmn");
    expect(stored).toMatch(/^h1\.p1\.[A-Za-z0-9_-]{43}$/);
    expect(pepperId(stored)).toBe("p1");
    expect(await pepperedHash(keys1, "user:abcdefghjkmn")).toBe(stored);
    expect(await pepperedHash(keys1, "other:abcdefghjkmn")).not.toBe(stored);

    // Another pepper gives another hash: a dump without the pepper gives nothing to compare against.
    expect(await pepperedHash(await importPepperKeys(generateKeyRing("p1")), "user:abcdefghjkmn")).not.toBe(
      stored,
    );

    const keys2 = await importPepperKeys(addKey(ring1, "p2"));
    const candidates = await pepperedCandidates(keys2, "user:abcdefghjkmn");
    expect(candidates).toHaveLength(2);
    expect(pepperId(candidates[0] as string)).toBe("p2");
    expect(candidates).toContain(stored);
    expect(await pepperedHash(keys2, "user:abcdefghjkmn")).toBe(candidates[0]);
  });
});
