import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { FEDERATION_COOKIE } from "../../services/auth/federation/binding";
import {
  CookieLoginSuccessSchema,
  CsrfRefused,
  LoginResponseSchema,
  TokenDeliveryHeaders,
} from "./auth.schemas";
import { IdentitySchema, Provider } from "./identities.routes";

const tags = ["Federated sign-in"];

// RFC 7636 s4.1-4.2: a verifier of 43-128 unreserved characters; an S256 challenge is 43 base64url characters.
const CodeVerifier = z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/);
const CodeChallenge = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

const Redirected = (description: string) => ({
  description,
  headers: z.object({ location: z.string().openapi({ description: "Where the browser goes next." }) }),
});

const BindingCookie = z.object({
  [FEDERATION_COOKIE]: z
    .string()
    .max(128)
    .optional()
    .openapi({ description: "Set by the start: binds the sign-in to the browser that began it." }),
});

export const start = defineRoute({
  method: "get",
  path: "/api/v1/auth/federated/{provider}/start",
  "x-rate-limit": "federated",
  tags,
  summary: "Begin a sign-in with an identity provider: a redirect to it (PKCE, state and nonce kept sealed).",
  description:
    "A web sign-in gives only `tenant` (and `token_delivery=cookie` for cookie mode); a mobile app also gives " +
    "its `redirect_uri` (on the tenant's allow-list) and an S256 `code_challenge`, and later redeems the " +
    "one-time code sent there at `POST /api/v1/auth/federated/token`. Sets an HttpOnly cookie binding the " +
    "sign-in to this browser.",
  request: {
    params: z.object({ provider: Provider }),
    query: z.object({
      tenant: z.uuid(),
      redirect_uri: z.url().max(2048).optional(),
      code_challenge: CodeChallenge.optional(),
      code_challenge_method: z.enum(["S256"]).optional(),
      token_delivery: z.enum(["cookie"]).optional(),
    }),
  },
  responses: {
    302: Redirected("To the identity provider."),
    404: problems[404],
  },
});

export const callback = defineRoute({
  method: "get",
  path: "/api/v1/auth/federated/{provider}/callback",
  "x-rate-limit": "federated",
  tags,
  summary:
    "The identity provider's answer: signs in (web), redirects a mobile app with a one-time code, or links.",
  description:
    "Refused (401 `federation_failed`) for a state that is not this API's, expired or from another browser, a " +
    "spent or foreign code, and an ID token with the wrong issuer, audience, nonce, expiry or signature. An " +
    "identity linked to no account of the tenant is 403 `account_not_linked` (unless the tenant lets a verified " +
    "address at both ends link it); an account with 2FA gets the second-factor challenge.",
  request: {
    params: z.object({ provider: Provider }),
    query: z.object({
      code: z.string().max(2048).optional(),
      state: z.string().max(4096).optional(),
      iss: z.string().max(2048).optional(),
      error: z.string().max(256).optional(),
      error_description: z.string().max(1024).optional(),
    }),
    cookies: BindingCookie,
  },
  responses: {
    200: {
      description: "Signed in (or `mfa_required`), or - linking - the identity linked.",
      ...jsonContent(z.union([LoginResponseSchema, CookieLoginSuccessSchema, IdentitySchema])),
    },
    302: Redirected("A mobile sign-in: to the app's redirect URI with `code`."),
    401: problems[401],
    403: problems[403],
    409: problems[409],
    423: problems[401],
  },
});

export const token = defineRoute({
  method: "post",
  path: "/api/v1/auth/federated/token",
  "x-rate-limit": "federated",
  tags,
  summary:
    "A mobile app's one-time code and PKCE verifier, exchanged for a token pair (or the 2FA challenge).",
  request: {
    headers: TokenDeliveryHeaders,
    body: jsonBody(z.object({ code: z.string().min(16).max(128), code_verifier: CodeVerifier }).strict()),
  },
  responses: {
    200: { description: "Signed in, or `mfa_required`.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    403: CsrfRefused,
    423: problems[401],
  },
});
