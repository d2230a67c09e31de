import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { authOf } from "../../middleware/authenticate";
import { contextOf } from "../../middleware/request-context";
import { FEDERATION_COOKIE_NAME, FEDERATION_COOKIE_OPTIONS } from "../../services/auth/federation/binding";
import { redeemAppCode } from "../../services/auth/federation/codes";
import { finishFederation } from "../../services/auth/federation/finish";
import { listIdentities, unlinkIdentity } from "../../services/auth/federation/identities";
import { startFederation } from "../../services/auth/federation/start";
import type * as routes from "./federated.routes";
import type * as identityRoutes from "./identities.routes";
import { loginView } from "./session.handlers";
import { toIdentityView } from "./views";

type Provider = "google" | "microsoft" | "github" | "oidc";

/** This API's callback for a provider, on the origin the request came to (the provider checks it exactly). */
const callbackUrl = (c: Context<AppEnv>, provider: Provider) =>
  `${new URL(c.req.url).origin}/api/v1/auth/federated/${provider}/callback`;

const bindingCookie = (value: string) =>
  generateCookie(FEDERATION_COOKIE_NAME, value, FEDERATION_COOKIE_OPTIONS);

/** A mobile app names where its code goes and the challenge that redeems it, both or neither. */
function appOf(query: { redirect_uri?: string | undefined; code_challenge?: string | undefined }) {
  const { redirect_uri: redirectUri, code_challenge: codeChallenge } = query;
  if (redirectUri === undefined && codeChallenge === undefined) return undefined;
  if (redirectUri === undefined || codeChallenge === undefined) {
    const missing = redirectUri === undefined ? "redirect_uri" : "code_challenge";
    throw new AppError("invalid_parameters", "A mobile sign-in gives both redirect_uri and code_challenge.", {
      errors: [{ location: "query", pointer: missing, message: "required with the other", code: "required" }],
    });
  }
  return { redirectUri, codeChallenge };
}

export const start: RouteHandler<typeof routes.start, AppEnv> = async (c) => {
  const { provider } = c.req.valid("param");
  const query = c.req.valid("query");
  const started = await startFederation(contextOf(c), {
    provider,
    tenantId: query.tenant,
    callbackUrl: callbackUrl(c, provider),
    app: appOf(query),
    cookies: query.token_delivery === "cookie",
  });
  c.header("Set-Cookie", bindingCookie(started.binding));
  c.header("Cache-Control", "no-store");
  return c.redirect(started.authorizationUrl, 302);
};

export const callback: RouteHandler<typeof routes.callback, AppEnv> = async (c) => {
  const { provider } = c.req.valid("param");
  const outcome = await finishFederation(contextOf(c), provider, {
    url: new URL(c.req.url),
    sealedState: c.req.valid("query").state,
    binding: getCookie(c, FEDERATION_COOKIE_NAME, "secure"),
  });
  // The binding is spent either way: a second answer in this browser starts over.
  c.header("Set-Cookie", bindingCookie(""), { append: true });
  c.header("Cache-Control", "no-store");
  if (outcome.kind === "app") return c.redirect(outcome.location, 302);
  if (outcome.kind === "linked") return c.json(toIdentityView(outcome.identity), 200);
  return c.json(await loginView(c, outcome.result, outcome.cookies), 200);
};

export const token: RouteHandler<typeof routes.token, AppEnv> = async (c) => {
  const { code, code_verifier } = c.req.valid("json");
  return c.json(await loginView(c, await redeemAppCode(contextOf(c), code, code_verifier)), 200);
};

export const listOwnIdentities: RouteHandler<typeof identityRoutes.listIdentities, AppEnv> = async (c) => {
  const rows = await listIdentities(contextOf(c), authOf(c));
  return c.json({ identities: rows.map(toIdentityView) }, 200);
};

export const unlinkOwnIdentity: RouteHandler<typeof identityRoutes.unlinkIdentity, AppEnv> = async (c) => {
  await unlinkIdentity(contextOf(c), authOf(c), c.req.valid("param").id);
  return c.body(null, 204);
};

export const linkStart: RouteHandler<typeof identityRoutes.linkStart, AppEnv> = async (c) => {
  const { provider } = c.req.valid("param");
  const auth = authOf(c);
  const started = await startFederation(contextOf(c), {
    provider,
    tenantId: auth.tenantId,
    userId: auth.userId,
    callbackUrl: callbackUrl(c, provider),
  });
  c.header("Set-Cookie", bindingCookie(started.binding));
  c.header("Cache-Control", "no-store");
  return c.json({ authorization_url: started.authorizationUrl }, 200);
};
