import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonContent, problems } from "../../openapi";
import { IdParam } from "../params";

const secured = { tags: ["Account"], security: [{ bearerAuth: [] }], middleware: authenticate() };

/** The identity providers, by their path segment. */
export const Provider = z.enum(["google", "microsoft", "github", "oidc"]).openapi({
  param: { name: "provider", in: "path" },
  description: "`oidc`: the tenant's own OpenID provider.",
});

export const IdentitySchema = z
  .object({
    id: z.uuid(),
    provider: z.enum(["google", "microsoft", "github", "oidc"]),
    issuer: z.string(),
    subject: z.string(),
    email: z.string().nullable(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable(),
  })
  .openapi("FederatedIdentity");

export const listIdentities = defineRoute({
  method: "get",
  path: "/api/v1/auth/me/identities",
  "x-rate-limit": "account",
  ...secured,
  summary: "The identities (Google, Microsoft, GitHub, the tenant's provider) linked to this account.",
  responses: {
    200: {
      description: "Linked identities.",
      ...jsonContent(z.object({ identities: z.array(IdentitySchema) })),
    },
    401: problems[401],
  },
});

export const unlinkIdentity = defineRoute({
  method: "delete",
  path: "/api/v1/auth/me/identities/{id}",
  "x-rate-limit": "account",
  ...secured,
  summary:
    "Unlink an identity; refused (409 `last_sign_in_method`) if it is the account's last way to sign in.",
  request: { params: IdParam },
  responses: {
    204: { description: "Unlinked." },
    401: problems[401],
    404: problems[404],
    409: problems[409],
  },
});

export const linkStart = defineRoute({
  method: "post",
  path: "/api/v1/auth/me/identities/{provider}/link/start",
  "x-rate-limit": "federated",
  ...secured,
  summary: "Begin linking an identity to this account: the provider's URL to send the browser to.",
  description:
    "The answer sets the cookie that binds the flow to this browser; the provider's answer comes back to " +
    "`GET /api/v1/auth/federated/{provider}/callback`, which links the identity (409 `identity_taken` when it " +
    "is another account's).",
  request: {
    params: z.object({ provider: Provider }),
  },
  responses: {
    200: {
      description: "Where to send the browser.",
      ...jsonContent(z.object({ authorization_url: z.url() })),
    },
    401: problems[401],
    404: problems[404],
  },
});
