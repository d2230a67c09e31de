import type { RequestContext } from "../context";

/** What the account-security services use of the request context (they never see the Hono context). */
export type AuthServices = Pick<
  RequestContext,
  | "requestId"
  | "client"
  | "now"
  | "config"
  | "db"
  | "signingKeys"
  | "secretsAtRest"
  | "mailer"
  | "accountGuard"
  | "sessionAuthority"
  | "database"
>;

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
