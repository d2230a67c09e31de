import { generateSecret, generateSync, generateURI, type HashAlgorithm, verifySync } from "otplib";
import { renderSVG } from "uqr";

/** Result of checking a TOTP code; `step` is the RFC 6238 time step to store as the last one used. */
export type TotpVerification = { valid: true; step: number } | { valid: false };

/** Code lengths RFC 4226 allows (6 for apps, 8 for the RFC 6238 vectors). */
export type TotpDigits = 6 | 7 | 8;

// RFC 6238 defaults that every authenticator app understands: SHA1, 6 digits, 30 s, T0 = 0.
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM: HashAlgorithm = "sha1";
// ASVS 6.5.5: at most one step of drift either side; otplib takes the tolerance in seconds.
const DRIFT_STEPS = 1;
const SECRET_BYTES = 20;

// The one place generation and verification get their options, so the RFC vectors test the verifier's path.
// otplib's defaults (noble HMAC, scure base32, getRandomValues) are pure JS and need no Node API in workerd.
function otpOptions(secret: string | Uint8Array, algorithm: HashAlgorithm, digits: TotpDigits) {
  return { strategy: "totp" as const, secret, algorithm, digits, period: PERIOD_SECONDS, t0: 0 };
}

const epochSeconds = (nowMs: number) => Math.floor(nowMs / 1000);

/** A new base32 TOTP secret of 20 bytes from the CSPRNG (ASVS 6.5.3). */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The otpauth:// URI an authenticator app enrols from. */
export function totpKeyUri({
  secret,
  accountName,
  issuer,
}: {
  secret: string;
  accountName: string;
  issuer: string;
}): string {
  return generateURI({
    issuer,
    label: accountName,
    secret,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

/** Computes a TOTP code; raw-byte secrets and other digits/algorithms exist for the RFC 6238 vectors. */
export function generateTotp({
  secret,
  now,
  digits = DIGITS,
  algorithm = ALGORITHM,
}: {
  secret: string | Uint8Array;
  now: number;
  digits?: TotpDigits;
  algorithm?: HashAlgorithm;
}): string {
  return generateSync({ ...otpOptions(secret, algorithm, digits), epoch: epochSeconds(now) });
}

/** Verifies a 6-digit code within one step of drift, refusing any step at or before `lastUsedStep` (ASVS 6.5.1). */
export function verifyTotp({
  secret,
  code,
  now,
  lastUsedStep,
}: {
  secret: string;
  code: string;
  now: number;
  lastUsedStep?: number | null;
}): TotpVerification {
  // Authenticator apps show "123 456"; anything else that is not six digits is refused, not thrown.
  const token = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(token) || !Number.isFinite(now) || now < 0) return { valid: false };
  const epoch = epochSeconds(now);
  const currentStep = Math.floor(epoch / PERIOD_SECONDS);
  // A corrupt last step fails closed rather than reopening replays.
  if (lastUsedStep != null && !Number.isFinite(lastUsedStep)) return { valid: false };
  const afterTimeStep = lastUsedStep == null || lastUsedStep < 0 ? undefined : Math.floor(lastUsedStep);
  // otplib throws when afterTimeStep lies beyond the window; every step in the window is spent then.
  if (afterTimeStep !== undefined && afterTimeStep >= currentStep + DRIFT_STEPS) return { valid: false };
  const result = verifySync({
    ...otpOptions(secret, ALGORITHM, DIGITS),
    token,
    epoch,
    epochTolerance: DRIFT_STEPS * PERIOD_SECONDS,
    ...(afterTimeStep === undefined ? {} : { afterTimeStep }),
  });
  // otplib types the result as TOTP or HOTP; only the TOTP branch carries the step.
  return result.valid && "timeStep" in result ? { valid: true, step: result.timeStep } : { valid: false };
}

/** Renders an otpauth:// URI as an SVG QR code for enrolment screens. */
export function totpQrSvg(uri: string): string {
  // Level M survives a screenshot or a smudged screen without growing the code much.
  return renderSVG(uri, { ecc: "M", border: 2 });
}
