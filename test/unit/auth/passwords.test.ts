import { Buffer } from "node:buffer";
import * as nodeCrypto from "node:crypto";
import { scryptSync } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";

// A pass-through spy, so tests can see how much scrypt work each path asks for.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});

// The suites share one module graph, so passwords.ts may already have been loaded with the real
// node:crypto: load it afresh, after the mock, and leave the graph unmocked for the files after this one.
vi.resetModules();
const { checkPasswordPolicy, hashingOf, hashPassword, PASSWORD_HASH_PARAMS, verifyPassword } = await import(
  "../../../src/services/auth/passwords"
);
afterAll(() => {
  vi.doUnmock("node:crypto");
  vi.resetModules();
});

const STRONG = "correct horse battery staple";
const REFUSED = { valid: false, needsRehash: false };
const CURRENT_WORK = [[32, expect.objectContaining({ N: 2 ** 14, r: 8, p: 5 })]];

// The verification result and the (key length, options) of every scrypt call it made.
async function scryptWorkOf(password: string, stored: string | null) {
  const scrypt = vi.mocked(nodeCrypto.scrypt);
  scrypt.mockClear();
  const result = await verifyPassword(password, stored);
  return { result, work: scrypt.mock.calls.map((call) => [call[2], call[3]]) };
}

describe("checkPasswordPolicy", () => {
  it("refuses 7 code points and accepts 8 (ASVS 6.2.1)", () => {
    expect(checkPasswordPolicy("Zq9#vLm")?.code).toBe("too_short");
    expect(checkPasswordPolicy("Zq9#vLm2")).toBeNull();
  });

  it("accepts 128 code points and refuses 129 (ASVS 6.2.9)", () => {
    expect(checkPasswordPolicy("Zq9#vLm2".repeat(16))).toBeNull();
    expect(checkPasswordPolicy(`${"Zq9#vLm2".repeat(16)}x`)?.code).toBe("too_long");
  });

  it("counts an emoji as one character, not two UTF-16 units", () => {
    expect("🔐".length).toBe(2);
    expect(checkPasswordPolicy("🔐🔑🗝️🔒")?.code).toBe("too_short"); // 5 code points, 9 UTF-16 units
    expect(checkPasswordPolicy("Zq9#vLm🔐")).toBeNull();
    expect(checkPasswordPolicy(`${"Zq9#vLm2".repeat(15)}Zq9#vLm🔐`)).toBeNull(); // 128 code points
    expect(checkPasswordPolicy(`${"Zq9#vLm2".repeat(15)}Zq9#vLm2🔐`)?.code).toBe("too_long");
  });

  it("counts after NFC normalisation, so a decomposed accent is one character", () => {
    const decomposed = "Zq9#vL\u0065\u0301"; // 8 code points before NFC, 7 after
    expect(decomposed.length).toBe(8);
    expect(checkPasswordPolicy(decomposed)?.code).toBe("too_short");
  });

  it("imposes no composition rules (ASVS 6.2.5)", () => {
    expect(checkPasswordPolicy("zqvlmkwtrh")).toBeNull();
  });

  it("refuses common passwords whatever their case (ASVS 6.2.4)", () => {
    expect(checkPasswordPolicy("password123")?.code).toBe("common");
    expect(checkPasswordPolicy("PassWord123")?.code).toBe("common");
    expect(checkPasswordPolicy("trustno1")?.code).toBe("common");
  });

  it("refuses the e-mail address or its local part, whatever the case", () => {
    const context = { email: "Ada.Lovelace@example.com" };
    expect(checkPasswordPolicy("ada.lovelace", context)?.code).toBe("contains_email");
    expect(checkPasswordPolicy("ADA.LOVELACE@EXAMPLE.COM", context)?.code).toBe("contains_email");
    expect(checkPasswordPolicy("ada.lovelace!", context)).toBeNull();
    expect(checkPasswordPolicy("ada.lovelace", { email: "no-at-sign" })).toBeNull();
  });

  it("gives a message with every problem", () => {
    expect(checkPasswordPolicy("short")?.message).toMatch(/8 characters/);
  });
});

describe("hashPassword / verifyPassword", () => {
  it("writes a PHC string with the current parameters", async () => {
    const stored = await hashPassword(STRONG);
    const { ln, r, p } = PASSWORD_HASH_PARAMS;
    expect(stored).toMatch(
      new RegExp(`^\\$scrypt\\$ln=${ln},r=${r},p=${p}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$`),
    );
    expect(PASSWORD_HASH_PARAMS).toMatchObject({ ln: 14, r: 8, p: 5 });
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const stored = await hashPassword(STRONG);
    expect(await verifyPassword(STRONG, stored)).toEqual({ valid: true, needsRehash: false });
    expect(await verifyPassword("correct horse battery stapler", stored)).toEqual({
      valid: false,
      needsRehash: false,
    });
    // ASVS 6.2.8: no case folding.
    expect((await verifyPassword(STRONG.toUpperCase(), stored)).valid).toBe(false);
  });

  it("salts each hash, so the same password hashes differently", async () => {
    const [first, second] = await Promise.all([hashPassword(STRONG), hashPassword(STRONG)]);
    expect(first).not.toBe(second);
    expect((await verifyPassword(STRONG, second)).valid).toBe(true);
  });

  it("treats composed and decomposed forms of a password as the same (NFC)", async () => {
    const stored = await hashPassword("caf\u00e9 au lait");
    expect((await verifyPassword("cafe\u0301 au lait", stored)).valid).toBe(true);
  });

  it("asks for a rehash when the stored parameters are not the current ones", async () => {
    const current = await hashPassword(STRONG);
    const weaker = current.replace("ln=14", "ln=13");
    // Same salt and hash bytes under other parameters no longer match...
    expect(await verifyPassword(STRONG, weaker)).toEqual({ valid: false, needsRehash: false });
    // ...so build a genuine ln=13 hash with node:crypto and check it verifies and is flagged.
    const salt = Buffer.alloc(16, 7);
    const hash = scryptSync(STRONG, salt, 32, { N: 2 ** 13, r: 8, p: 5 });
    const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
    const legacy = `$scrypt$ln=13,r=8,p=5$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword(STRONG, legacy)).toEqual({ valid: true, needsRehash: true });
    expect(await verifyPassword("wrong password!", legacy)).toEqual({ valid: false, needsRehash: false });
  });

  it("hashes at a configured test cost that the standard parameters then upgrade", async () => {
    expect(hashingOf({ PASSWORD_HASH_LOG2_N: 14 })).toBe(PASSWORD_HASH_PARAMS);
    const cheap = hashingOf({ PASSWORD_HASH_LOG2_N: 10 });
    const stored = await hashPassword(STRONG, cheap);
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=5\$/);
    expect(await verifyPassword(STRONG, stored, cheap)).toEqual({ valid: true, needsRehash: false });
    expect(await verifyPassword(STRONG, stored)).toEqual({ valid: true, needsRehash: true });
    expect((await verifyPassword("wrong password!", stored, cheap)).valid).toBe(false);
  });

  it("costs an unknown account (null) the same scrypt work as a wrong password (ASVS 6.3.8)", async () => {
    const stored = await hashPassword(STRONG);
    expect(await scryptWorkOf("wrong password!", stored)).toEqual({ result: REFUSED, work: CURRENT_WORK });
    expect(await scryptWorkOf("wrong password!", null)).toEqual({ result: REFUSED, work: CURRENT_WORK });
  });

  it("refuses malformed stored strings without throwing, after the same work", async () => {
    const stored = await hashPassword(STRONG);
    const malformed = [
      "",
      "plaintext",
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
      stored.replace("$scrypt$", "$scrypt2$"),
      stored.replace("ln=14", "ln=30"), // over workerd's N*r*p cap
      stored.replace("p=5", "p=0"),
      stored.replace("ln=14,r=8,p=5", "ln=18,r=4,p=1"), // within N*r*p but 128 MiB of memory
      stored.slice(0, -10), // truncated
      stored.slice(0, -11), // 24 bytes: a prefix of the real key, which must not pass
      `${stored}$extra`,
    ];
    for (const candidate of malformed) {
      expect(await scryptWorkOf(STRONG, candidate)).toEqual({ result: REFUSED, work: CURRENT_WORK });
    }
  });
});
