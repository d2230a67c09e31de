import type { MfaChallenge } from "../../services/auth/login";
import type { TokenPair } from "../../services/auth/sessions";
import type { TotpEnrolment } from "../../services/auth/two-factor";

/** The wire forms of the sign-in results: snake_case, in the field order the API has always sent. */

/** A token pair in the body (bearer delivery). */
export const toTokenPairView = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: pair.tokenType,
  expires_in: pair.expiresIn,
  session_id: pair.sessionId,
});

/** Cookie delivery: the same pair without the refresh token, which leaves only as its HttpOnly cookie. */
export function toCookieTokenPairView(pair: TokenPair) {
  const { refresh_token: _, ...view } = toTokenPairView(pair);
  return view;
}

/** The second-factor challenge a sign-in answers with when the account has TOTP on. */
export const toMfaChallengeView = (challenge: MfaChallenge) => ({
  mfa_required: challenge.mfaRequired,
  mfa_token: challenge.mfaToken,
  methods: challenge.methods,
  expires_in: challenge.expiresIn,
});

/** A started TOTP enrolment. */
export const toTotpEnrolmentView = (enrolment: TotpEnrolment) => ({
  secret: enrolment.secret,
  otpauth_uri: enrolment.otpauthUri,
  qr_svg: enrolment.qrSvg,
});

/** A linked identity on the wire. */
export const toIdentityView = (identity: {
  id: string;
  provider: "google" | "microsoft" | "github" | "oidc";
  issuer: string;
  subject: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}) => ({
  id: identity.id,
  provider: identity.provider,
  issuer: identity.issuer,
  subject: identity.subject,
  email: identity.email,
  created_at: identity.createdAt.toISOString(),
  last_used_at: identity.lastUsedAt?.toISOString() ?? null,
});
