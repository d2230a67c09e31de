import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Tenants"];

const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/)
  .openapi({ example: "northwind.example" });

const LinkingPolicy = z.enum(["signed_in", "verified_email"]).openapi({
  description:
    "`signed_in`: an identity joins an account only by its owner, signed in, linking it. `verified_email`: also at " +
    "sign-in, when the provider and the account have both verified the same address.",
});

export const SsoSettingsSchema = z
  .object({
    redirect_uris: z.array(z.string()),
    linking_policy: LinkingPolicy,
    sso_required_domains: z.array(z.string()),
    oidc: z
      .object({ issuer: z.string(), client_id: z.string(), client_secret_set: z.boolean() })
      .nullable()
      .openapi({ description: "The tenant's own OpenID provider; its client secret is never shown." }),
    updated_at: z.iso.datetime().nullable(),
  })
  .openapi("SsoSettings");

export const getSso = defineRoute({
  method: "get",
  path: "/api/v1/tenants/{id}/sso",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sso:manage"),
  summary: "The tenant's federated sign-in settings.",
  request: { params: IdParam },
  responses: { 200: { description: "The settings.", ...jsonContent(SsoSettingsSchema) } },
});

export const putSso = defineRoute({
  method: "put",
  path: "/api/v1/tenants/{id}/sso",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("sso:manage"),
  summary: "Replace the tenant's federated sign-in settings.",
  description:
    "`oidc` absent keeps the tenant's provider, `null` removes it, an object replaces it whole (the secret is " +
    "sealed at rest). Password sign-in is refused (403 `sso_required`) for accounts whose address is in one of " +
    "`sso_required_domains`.",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          redirect_uris: z
            .array(z.url({ protocol: /^[a-z][a-z0-9+.-]*$/ }).max(2048))
            .max(20)
            .openapi({ description: "Exact URIs a mobile sign-in may send its one-time code to." }),
          linking_policy: LinkingPolicy,
          sso_required_domains: z.array(Domain).max(20),
          oidc: z
            .object({
              issuer: z.url({ protocol: /^https?$/ }).max(2048),
              client_id: z.string().min(1).max(256),
              client_secret: z.string().min(1).max(1024),
            })
            .strict()
            .nullable()
            .optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The settings as changed.", ...jsonContent(SsoSettingsSchema) } },
});
