/**
 * How second factors are kept at rest: TOTP secrets sealed (AES-GCM, bound to the user's row), backup
 * codes as HMAC-SHA-256 under a pepper the database never sees, bound to the user. Rows written before
 * either existed (base32 secrets, unsalted SHA-256 codes) are still read: the cron and
 * `npm run secrets:encrypt` seal the secrets; the old codes cannot be re-hashed without the code, so they
 * match until used or regenerated.
 */
import { pepperedCandidates, pepperedHash } from "../crypto/peppered";
import { isSealed, open, seal } from "../crypto/sealed";
import {
  requirePepper,
  requireSealing,
  type SecretsAtRest,
  totpSecretContext,
} from "../crypto/secrets-at-rest";
import { hashToken, normalizeBackupCode } from "./secrets";

/** The stored form of a new TOTP secret for this user. */
export async function sealTotpSecret(
  secrets: SecretsAtRest,
  userId: string,
  secret: string,
): Promise<string> {
  return seal(requireSealing(secrets), secret, totpSecretContext(userId));
}

/** A user's TOTP secret in base32, from either stored form; null when there is none. */
export async function readTotpSecret(
  secrets: SecretsAtRest,
  user: { id: string; totpSecret: string | null },
): Promise<string | null> {
  if (!user.totpSecret) return null;
  if (!isSealed(user.totpSecret)) return user.totpSecret;
  return open(requireSealing(secrets), user.totpSecret, totpSecretContext(user.id));
}

const backupCodeMessage = (userId: string, code: string) => `${userId}:${normalizeBackupCode(code)}`;

/** The stored form of a new backup code: an HMAC under the current pepper. */
export async function backupCodeHash(secrets: SecretsAtRest, userId: string, code: string): Promise<string> {
  return pepperedHash(requirePepper(secrets), backupCodeMessage(userId, code));
}

/**
 * Every stored form a typed code may have - one per pepper in the ring, and the unsalted SHA-256 of codes
 * issued before peppers - so one lookup finds it whichever wrote it.
 */
export async function backupCodeCandidates(
  secrets: SecretsAtRest,
  userId: string,
  typed: string,
): Promise<string[]> {
  const peppered = await pepperedCandidates(requirePepper(secrets), backupCodeMessage(userId, typed));
  return [...peppered, await hashToken(normalizeBackupCode(typed))];
}
