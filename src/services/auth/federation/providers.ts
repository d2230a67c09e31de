/**
 * The identity providers and how they are reached: Google and Microsoft (OpenID Connect, configured per
 * deployment), GitHub (plain OAuth 2.0: the user comes from its API) and each tenant's own OpenID provider.
 * The protocol is oauth4webapi's (panva's certified client); this module only says which server and client.
 */
import * as oauth from "oauth4webapi";
import type { AppConfig } from "../../../config";
import type { FederatedProvider } from "../../../db/schema";
import { AppError } from "../../../errors";

/** A provider as one sign-in uses it. `clientSecret` of a tenant's provider is still sealed at rest. */
export interface ProviderClient {
  provider: FederatedProvider;
  kind: "oidc" | "github";
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

/** A tenant's OpenID provider as stored (the secret sealed). */
export interface TenantProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

const OIDC_SCOPE = "openid email profile";
const GITHUB_SCOPE = "read:user user:email";

const unavailable = (provider: string) =>
  new AppError("not_found", `Sign-in with ${provider} is not available here.`);

/** A provider of the deployment, or 404 when it is not configured. */
export function deploymentProvider(config: AppConfig, provider: Exclude<FederatedProvider, "oidc">) {
  const client = (id: string | undefined, secret: string | undefined, issuer: string | undefined) => {
    if (!id || !secret || !issuer) throw unavailable(provider);
    return { id, secret, issuer };
  };
  const chosen =
    provider === "google"
      ? client(config.GOOGLE_CLIENT_ID, config.GOOGLE_CLIENT_SECRET, config.GOOGLE_ISSUER)
      : provider === "microsoft"
        ? client(config.MICROSOFT_CLIENT_ID, config.MICROSOFT_CLIENT_SECRET, config.MICROSOFT_ISSUER)
        : client(config.GITHUB_CLIENT_ID, config.GITHUB_CLIENT_SECRET, config.GITHUB_URL);
  return {
    provider,
    kind: provider === "github" ? "github" : "oidc",
    issuer: chosen.issuer,
    clientId: chosen.id,
    clientSecret: chosen.secret,
    scope: provider === "github" ? GITHUB_SCOPE : OIDC_SCOPE,
  } satisfies ProviderClient;
}

/** A tenant's own OpenID provider, or 404 when it has none. */
export function tenantProvider(stored: TenantProvider | undefined): ProviderClient {
  if (!stored) throw unavailable("this tenant's identity provider");
  return { provider: "oidc", kind: "oidc", ...stored, scope: OIDC_SCOPE };
}

/**
 * Plain http to a provider only in local development and tests (the suites' providers listen on loopback);
 * everywhere else oauth4webapi's https-only default stands.
 */
export const transport = (config: Pick<AppConfig, "ENVIRONMENT">) =>
  config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test"
    ? { [oauth.allowInsecureRequests]: true as const }
    : {};

const DISCOVERY_SECONDS = 3600;
const discovered = new Map<string, { until: number; server: Promise<oauth.AuthorizationServer> }>();

/** An issuer's metadata (OpenID Connect Discovery), kept per isolate for an hour; a failure is not kept. */
function discover(config: AppConfig, issuer: string): Promise<oauth.AuthorizationServer> {
  const now = Date.now();
  const cached = discovered.get(issuer);
  if (cached && cached.until > now) return cached.server;
  const url = new URL(issuer);
  const server = oauth
    .discoveryRequest(url, { algorithm: "oidc", ...transport(config) })
    .then((response) => oauth.processDiscoveryResponse(url, response));
  discovered.set(issuer, { until: now + DISCOVERY_SECONDS * 1000, server });
  server.catch(() => discovered.delete(issuer));
  return server;
}

/** The authorization server a provider signs in through. */
export function serverOf(config: AppConfig, client: ProviderClient): Promise<oauth.AuthorizationServer> {
  if (client.kind === "oidc") return discover(config, client.issuer);
  const base = client.issuer.replace(/\/$/, "");
  return Promise.resolve({
    issuer: base,
    authorization_endpoint: `${base}/login/oauth/authorize`,
    token_endpoint: `${base}/login/oauth/access_token`,
  });
}

const keySets = new Map<string, oauth.JWKSCacheInput>();

/** Each issuer's signing keys, kept per isolate by oauth4webapi (refetched when an unknown key id appears). */
export function jwksCacheOf(issuer: string): oauth.JWKSCacheInput {
  let cache = keySets.get(issuer);
  if (!cache) {
    cache = {};
    keySets.set(issuer, cache);
  }
  return cache;
}
