import { describe, expect, it } from "vitest";
import {
  toCookieTokenPairView,
  toMfaChallengeView,
  toTokenPairView,
  toTotpEnrolmentView,
} from "../../src/routes/auth/views";

const pair = {
  accessToken: "access",
  refreshToken: "refresh",
  tokenType: "Bearer" as const,
  expiresIn: 900,
  sessionId: "7d3f2c0e-3b1a-4c55-9d8e-2f6a1b0c9e11",
};

describe("auth views", () => {
  it("sends a token pair in snake_case, in the order always sent", () => {
    expect(JSON.stringify(toTokenPairView(pair))).toBe(
      '{"access_token":"access","refresh_token":"refresh","token_type":"Bearer","expires_in":900,' +
        '"session_id":"7d3f2c0e-3b1a-4c55-9d8e-2f6a1b0c9e11"}',
    );
  });

  it("leaves the refresh token out of the cookie-mode body", () => {
    expect(toCookieTokenPairView(pair)).toEqual({
      access_token: "access",
      token_type: "Bearer",
      expires_in: 900,
      session_id: pair.sessionId,
    });
  });

  it("sends the second-factor challenge and the enrolment in snake_case", () => {
    expect(
      JSON.stringify(
        toMfaChallengeView({
          mfaRequired: true,
          mfaToken: "mfa",
          methods: ["totp", "backup_code"],
          expiresIn: 300,
        }),
      ),
    ).toBe('{"mfa_required":true,"mfa_token":"mfa","methods":["totp","backup_code"],"expires_in":300}');
    expect(toTotpEnrolmentView({ secret: "S", otpauthUri: "otpauth://totp/x", qrSvg: "<svg/>" })).toEqual({
      secret: "S",
      otpauth_uri: "otpauth://totp/x",
      qr_svg: "<svg/>",
    });
  });
});
