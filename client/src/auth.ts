import type { Client } from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";
import type { Session } from "./session.js";

type User = components["schemas"]["User"];
type Tenant = components["schemas"]["Tenant"];
type RegisterBody = NonNullable<
  paths["/api/v1/auth/register"]["post"]["requestBody"]
>["content"]["application/json"];

/** A sign-in either completes, or asks for a second factor (`completeTwoFactor` with the challenge's token). */
export type SignInResult =
  | { status: "signed_in"; user: User }
  | { status: "mfa_required"; mfaToken: string; methods: Array<"totp" | "backup_code"> };

export interface AuthApi {
  /** Creates an account and its tenant, and signs in. */
  register(body: RegisterBody): Promise<{ user: User; tenant: Tenant }>;
  login(credentials: { email: string; password: string }): Promise<SignInResult>;
  /** Completes a challenged sign-in with a TOTP code or a single-use backup code. */
  completeTwoFactor(
    challenge: { mfaToken: string } & ({ code: string } | { backupCode: string }),
  ): Promise<User>;
  /** Rotates the refresh token now (the client also does it by itself when an access token expires). */
  refresh(): Promise<void>;
  /** Ends the session at the API and forgets the tokens (forgets them even if the API cannot be reached). */
  logout(): Promise<void>;
}

export function authApi(api: Client<paths>, session: Session): AuthApi {
  // Cookie mode is asked for at every sign-in; the other calls follow from the cookies.
  const delivery = () =>
    session.delivery === "cookie" ? { header: { "x-token-delivery": "cookie" as const } } : {};

  return {
    async register(body) {
      const { data } = await api.POST("/api/v1/auth/register", { body, params: delivery() });
      if (!data) throw new Error("register: the API answered without a body");
      await session.signedIn(data);
      return { user: data.user, tenant: data.tenant };
    },

    async login(credentials) {
      const { data } = await api.POST("/api/v1/auth/login", { body: credentials, params: delivery() });
      if (!data) throw new Error("login: the API answered without a body");
      if ("mfa_required" in data) {
        return { status: "mfa_required", mfaToken: data.mfa_token, methods: data.methods };
      }
      await session.signedIn(data);
      return { status: "signed_in", user: data.user };
    },

    async completeTwoFactor(challenge) {
      const { data } =
        "code" in challenge
          ? await api.POST("/api/v1/auth/login/2fa", {
              body: { mfa_token: challenge.mfaToken, code: challenge.code },
              params: delivery(),
            })
          : await api.POST("/api/v1/auth/2fa/backup-code", {
              body: { mfa_token: challenge.mfaToken, backup_code: challenge.backupCode },
              params: delivery(),
            });
      if (!data || "mfa_required" in data) throw new Error("second factor: the API did not sign in");
      await session.signedIn(data);
      return data.user;
    },

    refresh: () => session.refresh(),

    async logout() {
      try {
        await api.POST("/api/v1/auth/logout", { params: delivery() });
      } finally {
        await session.end();
      }
    },
  };
}
