import { describe, expect, it } from "vitest";
import {
  generateBackupCodes,
  generateOpaqueToken,
  hashToken,
  normalizeBackupCode,
  timingSafeEqualStrings,
} from "../../../src/services/auth/secrets";

const CODE_FORMAT = /^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/;

describe("generateOpaqueToken", () => {
  it("is base64url without padding, 32 bytes by default", () => {
    const token = generateOpaqueToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateOpaqueToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("never repeats", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateOpaqueToken()));
    expect(tokens.size).toBe(200);
  });

  it("uses the URL-safe characters, not + and /", () => {
    const joined = Array.from({ length: 50 }, () => generateOpaqueToken(64)).join("");
    expect(joined).toMatch(/[-_]/);
    expect(joined).not.toMatch(/[+/=]/);
  });
});

describe("hashToken", () => {
  it("is the SHA-256 hex digest", async () => {
    expect(await hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await hashToken("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("differs for different tokens and is stable for the same one", async () => {
    const token = generateOpaqueToken();
    expect(await hashToken(token)).toBe(await hashToken(token));
    expect(await hashToken(token)).not.toBe(await hashToken(`${token}x`));
  });
});

describe("backup codes", () => {
  it("makes ten codes like abcd-efgh-jkmn by default, or as many as asked", () => {
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(CODE_FORMAT);
    expect(generateBackupCodes(3)).toHaveLength(3);
  });

  it("are unique within a set and across sets", () => {
    const codes = Array.from({ length: 50 }, () => generateBackupCodes()).flat();
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("draw on the whole unambiguous alphabet, for at least 50 bits per code", () => {
    const seen = new Set(generateBackupCodes(500).join("").replace(/-/g, ""));
    // 31 symbols and 12 positions: 12 * log2(31) is about 59 bits.
    expect(seen.size).toBe(31);
    expect(12 * Math.log2(seen.size)).toBeGreaterThanOrEqual(50);
    for (const ambiguous of ["0", "o", "1", "l", "i"]) expect(seen.has(ambiguous)).toBe(false);
  });

  it("normalise what a person types to the stored form", async () => {
    expect(normalizeBackupCode(" ABCD-efgh jkmn\t")).toBe("abcdefghjkmn");
    const [code] = generateBackupCodes(1) as [string];
    const typed = ` ${code.toUpperCase().replace(/-/g, " ")} `;
    expect(await hashToken(normalizeBackupCode(typed))).toBe(await hashToken(normalizeBackupCode(code)));
  });
});

describe("timingSafeEqualStrings", () => {
  it("is true only for identical strings", () => {
    expect(timingSafeEqualStrings("a1b2c3", "a1b2c3")).toBe(true);
    expect(timingSafeEqualStrings("", "")).toBe(true);
    expect(timingSafeEqualStrings("é🔐", "é🔐")).toBe(true);
    expect(timingSafeEqualStrings("a1b2c3", "a1b2c4")).toBe(false);
    expect(timingSafeEqualStrings("a1b2c3", "b1b2c3")).toBe(false);
  });

  it("is false when one string is a prefix of the other, or empty", () => {
    expect(timingSafeEqualStrings("a1b2c3", "a1b2c3d")).toBe(false);
    expect(timingSafeEqualStrings("a1b2c3d", "a1b2c3")).toBe(false);
    expect(timingSafeEqualStrings("", "a")).toBe(false);
    // Lengths that differ by a multiple of 256 must not cancel out in the accumulator.
    expect(timingSafeEqualStrings("a", `a${"\u0000".repeat(256)}`)).toBe(false);
  });
});
