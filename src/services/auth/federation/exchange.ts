/**
 * The provider's answer, checked and redeemed: the authorization response (its `state`, and `iss` where the
 * provider sends it, RFC 9207), the code exchanged with the PKCE verifier, and - OpenID Connect - the ID token
 * verified whole: issuer, audience, expiry, nonce, and its signature by the issuer's published keys with an
 * algorithm the client expects (RS256 unless discovery says otherwise: never `none`). GitHub has no ID token: the
 * user comes from its API (github.ts).
 */
import * as oauth from "oauth4webapi";
import type { AppConfig } from "../../../config";
import { AppError } from "../../../errors";
import { log } from "../../../logger";
import { open } from "../../crypto/sealed";
import { oidcSecretContext, requireSealing, type SecretsAtRest } from "../../crypto/secrets-at-rest";
import type { FlowState } from "./flow-state";
import { gitHubUser } from "./github";
import { jwksCacheOf, type ProviderClient, serverOf, transport } from "./providers";
import { reach } from "./start";

/** Who the provider says signed in. */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  /** The provider vouches that the address is its user's. */
  emailVerified: boolean;
}

const PROTOCOL_ERRORS = [
  oauth.OperationProcessingError,
  oauth.ResponseBodyError,
  oauth.AuthorizationResponseError,
  oauth.WWWAuthenticateChallengeError,
  oauth.UnsupportedOperationError,
];

/** The client secret in the clear: a tenant's is opened from its sealed form. */
async function secretOf(client: ProviderClient, state: FlowState, secrets: SecretsAtRest) {
  if (client.provider !== "oidc") return client.clientSecret;
  return open(requireSealing(secrets), client.clientSecret, oidcSecretContext(state.tenantId));
}

/**
 * Redeems the provider's answer for the identity it vouches for. Every protocol failure (a wrong state or
 * issuer, a spent code, an ID token with the wrong audience, nonce, expiry or signature) is the same 401 to
 * the client, with the reason in the log; a provider that cannot be reached is a 503.
 */
export async function redeemAnswer(
  services: { config: AppConfig; requestId: string; secretsAtRest: () => Promise<SecretsAtRest> },
  client: ProviderClient,
  state: FlowState,
  answer: { url: URL; sealedState: string },
): Promise<ExternalIdentity> {
  const { config } = services;
  const server = await reach(serverOf(config, client));
  const secret = await secretOf(client, state, await services.secretsAtRest());
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const authentication =
    client.kind === "github" ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
  try {
    const params = oauth.validateAuthResponse(server, oauthClient, answer.url, answer.sealedState);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      oauthClient,
      authentication,
      params,
      state.callbackUrl,
      state.verifier,
      transport(config),
    );
    if (client.kind === "github") {
      const tokens = await oauth.processAuthorizationCodeResponse(server, oauthClient, response);
      return await gitHubUser(config, client.issuer, tokens.access_token);
    }
    const tokens = await oauth.processAuthorizationCodeResponse(server, oauthClient, response, {
      expectedNonce: state.nonce,
      requireIdToken: true,
    });
    await oauth.validateApplicationLevelSignature(server, response, {
      ...transport(config),
      [oauth.jwksCache]: jwksCacheOf(server.issuer),
    });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!claims) throw new oauth.UnsupportedOperationError("no ID token", { cause: tokens });
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof claims.email === "string" ? claims.email.toLowerCase() : null,
      emailVerified: claims.email_verified === true,
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (PROTOCOL_ERRORS.some((kind) => error instanceof kind)) {
      log(config.LOG_LEVEL, "warn", {
        msg: "federated sign-in refused",
        requestId: services.requestId,
        provider: client.provider,
        reason: (error as Error).message,
        code: (error as { code?: string }).code,
      });
      throw new AppError("federation_failed", "The identity provider's answer could not be verified.");
    }
    throw new AppError("service_unavailable", "The identity provider cannot be reached.", { cause: error });
  }
}
