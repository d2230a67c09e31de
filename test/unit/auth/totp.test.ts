import { describe, expect, it } from "vitest";
import {
  generateTotp,
  generateTotpSecret,
  totpKeyUri,
  totpQrSvg,
  verifyTotp,
} from "../../../src/services/auth/totp";

const ascii = (text: string) => new TextEncoder().encode(text);
// RFC 6238 Appendix B seeds: "12345678901234567890" repeated to the digest size.
const SEEDS = {
  sha1: ascii("12345678901234567890"),
  sha256: ascii("12345678901234567890123456789012"),
  sha512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
};
const VECTORS: [number, string, string, string][] = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];
// The SHA1 seed in base32, the form the verifier stores.
const SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const STEP_MS = 30_000;
const STEP = 55_555_555; // an arbitrary time step in 2022
const codeAt = (step: number) => generateTotp({ secret: SECRET, now: step * STEP_MS + 12_000 });

describe("RFC 6238 Appendix B", () => {
  for (const [seconds, ...expected] of VECTORS) {
    (["sha1", "sha256", "sha512"] as const).forEach((algorithm, i) => {
      it(`T=${seconds} ${algorithm} -> ${expected[i]}`, () => {
        const code = generateTotp({ secret: SEEDS[algorithm], now: seconds * 1000, digits: 8, algorithm });
        expect(code).toBe(expected[i]);
      });
    });
  }

  it("verifies the RFC's SHA1 code (last six digits) from the base32 secret", () => {
    expect(verifyTotp({ secret: SECRET, code: "287082", now: 59_000 })).toEqual({ valid: true, step: 1 });
    expect(verifyTotp({ secret: SECRET, code: "287083", now: 59_000 })).toEqual({ valid: false });
  });
});

describe("verifyTotp", () => {
  it("accepts the current code and returns its step", () => {
    const now = STEP * STEP_MS + 5_000;
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), now })).toEqual({ valid: true, step: STEP });
  });

  it("accepts one step of drift either side, wherever in the step the clock is", () => {
    for (const offset of [0, 15_000, 29_999]) {
      const now = STEP * STEP_MS + offset;
      for (const drift of [-1, 1]) {
        const result = verifyTotp({ secret: SECRET, code: codeAt(STEP + drift), now });
        expect(result).toEqual({ valid: true, step: STEP + drift });
      }
    }
  });

  it("refuses two steps of drift either side (ASVS 6.5.5)", () => {
    for (const offset of [0, 15_000, 29_999]) {
      const now = STEP * STEP_MS + offset;
      for (const drift of [-2, 2]) {
        expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + drift), now })).toEqual({ valid: false });
      }
    }
  });

  it("never accepts the same code twice (ASVS 6.5.1)", () => {
    const now = STEP * STEP_MS + 1_000;
    const code = codeAt(STEP);
    const first = verifyTotp({ secret: SECRET, code, now, lastUsedStep: STEP - 1 });
    expect(first).toEqual({ valid: true, step: STEP });
    const step = first.valid ? first.step : -1;
    expect(verifyTotp({ secret: SECRET, code, now: now + 10_000, lastUsedStep: step })).toEqual({
      valid: false,
    });
  });

  it("refuses any step at or before the last used one, including earlier drift", () => {
    const now = STEP * STEP_MS + 1_000;
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP - 1), now, lastUsedStep: STEP })).toEqual({
      valid: false,
    });
    // A later step in the window is still open after the current one was used.
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + 1), now, lastUsedStep: STEP })).toEqual({
      valid: true,
      step: STEP + 1,
    });
  });

  it("refuses without throwing when every step in the window is already used", () => {
    const now = STEP * STEP_MS + 1_000;
    for (const lastUsedStep of [STEP + 1, STEP + 500]) {
      expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + 1), now, lastUsedStep })).toEqual({
        valid: false,
      });
    }
  });

  it("treats a null last step as none, and fails closed on a corrupt one", () => {
    const now = STEP * STEP_MS;
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), now, lastUsedStep: null }).valid).toBe(true);
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), now, lastUsedStep: Number.NaN }).valid).toBe(
      false,
    );
  });

  it("refuses non-digit and wrong-length input without throwing", () => {
    const now = STEP * STEP_MS;
    for (const code of ["", "12a456", "12345", "1234567", "１２３４５６", "١٢٣٤٥٦", "123456\n7", "-12345"]) {
      expect(verifyTotp({ secret: SECRET, code, now })).toEqual({ valid: false });
    }
  });

  it("tolerates the spaces authenticator apps display", () => {
    const now = STEP * STEP_MS;
    const code = codeAt(STEP);
    expect(verifyTotp({ secret: SECRET, code: ` ${code.slice(0, 3)} ${code.slice(3)} `, now }).valid).toBe(
      true,
    );
  });
});

describe("enrolment", () => {
  it("generates distinct 20-byte base32 secrets (ASVS 6.5.3)", () => {
    const secrets = new Set(Array.from({ length: 50 }, generateTotpSecret));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 chars = 20 bytes
  });

  it("builds an otpauth URI an app can enrol from, and the secret works", () => {
    const secret = generateTotpSecret();
    const uri = new URL(totpKeyUri({ secret, accountName: "ada@example.com", issuer: "FinEdge" }));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/FinEdge:ada@example.com");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("FinEdge");
    const now = Date.UTC(2026, 0, 1);
    expect(verifyTotp({ secret, code: generateTotp({ secret, now }), now }).valid).toBe(true);
  });

  it("renders the URI as an SVG QR code", () => {
    const svg = totpQrSvg("otpauth://totp/FinEdge:ada%40example.com?secret=GEZDGNBVGY3TQOJQ&issuer=FinEdge");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("<path");
  });
});
