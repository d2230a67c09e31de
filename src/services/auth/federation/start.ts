/**
 * Starting a federated sign-in (or the linking of an identity by its signed-in owner): the provider's
 * authorization URL with PKCE (S256), a nonce and the sealed state, and the browser-binding cookie's value.
 * One read at most (the tenant's settings), no write.
 */
import * as oauth from "oauth4webapi";
import { ssoSettingsOf } from "../../../db/repositories/federation.repository";
import type { FederatedProvider } from "../../../db/schema";
import { AppError } from "../../../errors";
import { requireSealing } from "../../crypto/secrets-at-rest";
import type { AuthServices } from "../context";
import { generateOpaqueToken } from "../secrets";
import { bindingOf, FLOW_SECONDS, type FlowState, sealFlowState } from "./flow-state";
import { deploymentProvider, type ProviderClient, serverOf, tenantProvider } from "./providers";

export interface StartRequest {
  provider: FederatedProvider;
  tenantId: string;
  /** The API's own callback for this provider. */
  callbackUrl: string;
  /** A mobile app: its redirect URI (on the tenant's allow-list) and its S256 code challenge. */
  app?: { redirectUri: string; codeChallenge: string } | undefined;
  cookies?: boolean | undefined;
  /** Linking: the signed-in account. */
  userId?: string | undefined;
}

export interface Started {
  authorizationUrl: string;
  /** The value of the cookie that binds the flow to this browser. */
  binding: string;
}

const notAllowed = () =>
  new AppError("invalid_parameters", "The redirect_uri is not on the tenant's allow-list.", {
    errors: [
      { location: "query", pointer: "redirect_uri", message: "not on the allow-list", code: "not_allowed" },
    ],
  });

/** Begins a sign-in or a linking: where to send the browser, and the cookie that binds it. */
export async function startFederation(ctx: AuthServices, request: StartRequest): Promise<Started> {
  const needsSettings = request.provider === "oidc" || request.app !== undefined;
  const { settings } = needsSettings
    ? await ctx.database.read("platform", (db) => ({ settings: ssoSettingsOf(db, request.tenantId) }))
    : { settings: undefined };
  if (request.app && !settings?.redirectUris.includes(request.app.redirectUri)) throw notAllowed();
  const stored =
    settings?.oidcIssuer && settings.oidcClientId && settings.oidcClientSecret
      ? {
          issuer: settings.oidcIssuer,
          clientId: settings.oidcClientId,
          clientSecret: settings.oidcClientSecret,
        }
      : undefined;
  const client: ProviderClient =
    request.provider === "oidc" ? tenantProvider(stored) : deploymentProvider(ctx.config, request.provider);
  const server = await reach(serverOf(ctx.config, client));
  const verifier = oauth.generateRandomCodeVerifier();
  const binding = generateOpaqueToken();
  const state: FlowState = {
    purpose: request.userId ? "link" : "sign_in",
    provider: request.provider,
    tenantId: request.tenantId,
    ...(request.userId ? { userId: request.userId } : {}),
    nonce: oauth.generateRandomNonce(),
    verifier,
    binding: await bindingOf(binding),
    callbackUrl: request.callbackUrl,
    expiresAt: ctx.now().getTime() + FLOW_SECONDS * 1000,
    ...(request.app ? { app: request.app } : {}),
    ...(request.cookies ? { cookies: true } : {}),
    ...(request.provider === "oidc" ? { oidc: stored } : {}),
  };
  if (!server.authorization_endpoint) throw providerDown();
  const url = new URL(server.authorization_endpoint);
  const params = {
    client_id: client.clientId,
    redirect_uri: request.callbackUrl,
    response_type: "code",
    scope: client.scope,
    state: await sealFlowState(requireSealing(await ctx.secretsAtRest()), state),
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...(client.kind === "oidc" ? { nonce: state.nonce } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { authorizationUrl: url.href, binding };
}

const providerDown = () => new AppError("service_unavailable", "The identity provider cannot be reached.");

/** The provider's metadata, or 503 when its discovery fails. */
export async function reach<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    throw new AppError("service_unavailable", "The identity provider cannot be reached.", { cause: error });
  }
}
