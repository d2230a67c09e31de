import type { AppConfig } from "../../config";
import type { Database } from "../../db/client";
import type { AccountGuard } from "../../durable-objects/account-guard";
import type { SessionAuthority } from "../../durable-objects/session-authority";
import type { SecretsAtRest } from "../crypto/secrets-at-rest";
import type { Mailer } from "../email/outbox";
import type { SigningKeys } from "./keys";

/** Where a request came from, as far as the edge can tell (from headers and `request.cf`). */
export interface ClientContext {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
  asn: number | null;
  requestId: string;
}

/** Everything the account-security services need, passed in explicitly (they never see the Hono context). */
export interface AuthDeps {
  db: Database;
  config: AppConfig;
  keys: SigningKeys;
  /** The lockout guard of one account: keyed by user id, or by the normalised address when none has it. */
  accountGuard: (key: string) => DurableObjectStub<AccountGuard>;
  sessionAuthority: (userId: string) => DurableObjectStub<SessionAuthority>;
  /** Encryption keys and peppers for secrets at rest (TOTP secrets, backup codes). */
  secrets: SecretsAtRest;
  /** The sender, with the keys that seal message bodies in the outbox. */
  email: Mailer;
  now: () => Date;
}

/** Token lifetimes (ASVS 7.3, 10.4.8): refresh tokens slide for 7 days within an absolute 30. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_SLIDING_SECONDS = 7 * 24 * 3600;
export const REFRESH_ABSOLUTE_SECONDS = 30 * 24 * 3600;
export const EMAIL_TOKEN_SECONDS = {
  verify_email: 24 * 3600,
  password_reset: 30 * 60,
  magic_link: 15 * 60,
  change_email: 60 * 60,
} as const;
