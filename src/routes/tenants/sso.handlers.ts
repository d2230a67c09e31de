import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { getSsoSettings, putSsoSettings } from "../../services/auth/federation/settings";
import type * as routes from "./sso.routes";

type Settings = Awaited<ReturnType<typeof getSsoSettings>>;

const toSsoView = (row: Settings): z.infer<typeof routes.SsoSettingsSchema> => ({
  redirect_uris: row.redirectUris,
  linking_policy: row.linkingPolicy,
  sso_required_domains: row.ssoRequiredDomains,
  oidc:
    row.oidcIssuer && row.oidcClientId
      ? {
          issuer: row.oidcIssuer,
          client_id: row.oidcClientId,
          client_secret_set: row.oidcClientSecret !== null,
        }
      : null,
  updated_at: row.updatedAt.getTime() === 0 ? null : row.updatedAt.toISOString(),
});

export const getSso: RouteHandler<typeof routes.getSso, AppEnv> = async (c) => {
  return c.json(toSsoView(await getSsoSettings(tenantOf(c), c.req.valid("param").id)), 200);
};

export const putSso: RouteHandler<typeof routes.putSso, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const request = contextOf(c);
  const local = ["development", "test"].includes(request.config.ENVIRONMENT);
  const row = await putSsoSettings(tenantOf(c), request.secretsAtRest, local, c.req.valid("param").id, {
    redirectUris: [...new Set(body.redirect_uris)],
    linkingPolicy: body.linking_policy,
    ssoRequiredDomains: [...new Set(body.sso_required_domains)],
    oidc:
      body.oidc === undefined || body.oidc === null
        ? body.oidc
        : { issuer: body.oidc.issuer, clientId: body.oidc.client_id, clientSecret: body.oidc.client_secret },
  });
  return c.json(toSsoView(row), 200);
};
