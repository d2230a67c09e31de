/**
 * A tenant's federated sign-in settings as its administrators read and replace them: the redirect URIs its
 * apps may receive codes at, the linking policy, the e-mail domains that must use SSO, and its own OpenID
 * provider - the client secret sealed at rest and never shown again. A change is one write with its audit
 * event.
 */
import { read } from "../../../db/batch";
import { auditEventStatement } from "../../../db/repositories/audit.repository";
import {
  type SsoSettingsRow,
  ssoSettingsOf,
  ssoSettingsUpsert,
} from "../../../db/repositories/federation.repository";
import type { LinkingPolicy } from "../../../db/schema";
import { AppError } from "../../../errors";
import { seal } from "../../crypto/sealed";
import { oidcSecretContext, requireSealing, type SecretsAtRest } from "../../crypto/secrets-at-rest";
import { bodyError } from "../../portfolios/access";
import { eventOf } from "../../tenancy/audit";
import type { TenantContext } from "../../tenancy/context";

export interface SsoSettingsInput {
  redirectUris: string[];
  linkingPolicy: LinkingPolicy;
  ssoRequiredDomains: string[];
  /** Absent: the provider stays; null: removed; else replaced whole (a new secret with it). */
  oidc?: { issuer: string; clientId: string; clientSecret: string } | null | undefined;
}

/** A tenant without settings has the defaults: no redirect URIs, linking only when signed in, no SSO rule. */
const defaults = (tenantId: string): SsoSettingsRow => ({
  tenantId,
  redirectUris: [],
  linkingPolicy: "signed_in",
  ssoRequiredDomains: [],
  oidcIssuer: null,
  oidcClientId: null,
  oidcClientSecret: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

/** Only a tenant's own administrators see or change its settings: any other id is 404, like a missing one. */
function ownTenant(ctx: TenantContext, id: string) {
  if (id !== ctx.tenantId) throw new AppError("not_found", "No such tenant.");
}

export async function getSsoSettings(ctx: TenantContext, id: string): Promise<SsoSettingsRow> {
  ownTenant(ctx, id);
  const { settings } = await ctx.read((db) => ({ settings: ssoSettingsOf(db, id) }));
  return settings ?? defaults(id);
}

/** The settings' audit view: never the secret, only whether one is set. */
const audited = (
  row: Pick<
    SsoSettingsRow,
    "redirectUris" | "linkingPolicy" | "ssoRequiredDomains" | "oidcIssuer" | "oidcClientId"
  >,
) => ({
  redirectUris: row.redirectUris,
  linkingPolicy: row.linkingPolicy,
  ssoRequiredDomains: row.ssoRequiredDomains,
  oidc: row.oidcIssuer ? { issuer: row.oidcIssuer, clientId: row.oidcClientId } : null,
});

/** Replaces the settings (one write, with its audit event); the client secret is sealed to this tenant. */
export async function putSsoSettings(
  ctx: TenantContext,
  secrets: () => Promise<SecretsAtRest>,
  local: boolean,
  id: string,
  input: SsoSettingsInput,
): Promise<SsoSettingsRow> {
  ownTenant(ctx, id);
  if (input.oidc && !local && !input.oidc.issuer.startsWith("https:")) {
    throw bodyError("validation_failed", "/oidc/issuer", "an identity provider is reached over https only");
  }
  const oidc = input.oidc
    ? {
        ...input.oidc,
        clientSecret: await seal(
          requireSealing(await secrets()),
          input.oidc.clientSecret,
          oidcSecretContext(id),
        ),
      }
    : input.oidc;
  const event = eventOf(ctx, {
    action: "tenant.sso_updated",
    resourceType: "tenant",
    resourceId: id,
    after: audited({
      ...input,
      oidcIssuer: input.oidc?.issuer ?? null,
      oidcClientId: input.oidc?.clientId ?? null,
    }),
  });
  const { row } = await ctx.write("sso:manage", null, (db) => ({
    row: read(ssoSettingsUpsert(db, { tenantId: id, ...input, oidc }), (rows) => rows[0]),
    audit: read(auditEventStatement(db, event)),
  }));
  if (!row) throw new Error("settings upsert returned nothing");
  ctx.audited += 1;
  return row;
}
