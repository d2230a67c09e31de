import type { RouteHandler, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { recordDecision } from "../../services/compliance/identity-decisions";
import { identityProviderOf, SIGNATURE_HEADER } from "../../services/compliance/identity-provider";
import * as verifications from "../../services/compliance/identity-verification";
import { requireSealing } from "../../services/crypto/secrets-at-rest";
import { pageBody } from "../page";
import type * as routes from "./identity-verifications.routes";

const view = (row: verifications.VerificationRow): z.infer<typeof routes.VerificationSchema> => ({
  id: row.id,
  customer_id: row.customerId,
  status: row.status,
  session_url: row.status === "pending" ? row.sessionUrl : null,
  expires_at: row.expiresAt.toISOString(),
  provider_session_id: row.providerSessionId,
  outcome: row.outcome && {
    decision: row.outcome.decision,
    document: row.outcome.document && {
      result: row.outcome.document.result,
      type: row.outcome.document.type,
      issuing_country: row.outcome.document.issuingCountry,
      expired: row.outcome.document.expired,
    },
    selfie: row.outcome.selfie,
    name_similarity: row.outcome.nameSimilarity,
    date_of_birth_matches: row.outcome.dateOfBirthMatches,
    reasons: row.outcome.reasons,
  },
  started_by: { type: row.startedByType, id: row.startedBy },
  decided_at: row.decidedAt?.toISOString() ?? null,
  review:
    row.reviewedBy && row.reviewedAt
      ? { by: row.reviewedBy, at: row.reviewedAt.toISOString(), note: row.reviewNote }
      : null,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const startVerification: RouteHandler<typeof routes.startVerification, AppEnv> = async (c) => {
  const context = c.get("context");
  const config = c.get("config");
  const row = await verifications.startVerification(
    tenantOf(c),
    requireSealing(await context.secretsAtRest()),
    identityProviderOf(config),
    {
      customerId: c.req.valid("param").id,
      callbackUrl: `${new URL(c.req.url).origin}/api/v1/identity-verifications/events`,
      logLevel: config.LOG_LEVEL,
    },
  );
  return c.json(view(row), 201);
};

export const listVerifications: RouteHandler<typeof routes.listVerifications, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await verifications.listVerifications(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    customerId: q.customer_id,
    status: q.status,
  });
  return c.json(pageBody(page, view), 200);
};

export const getVerification: RouteHandler<typeof routes.getVerification, AppEnv> = async (c) =>
  c.json(view(await verifications.getVerification(tenantOf(c), c.req.valid("param").id)), 200);

export const reviewVerification: RouteHandler<typeof routes.reviewVerification, AppEnv> = async (c) => {
  const row = await verifications.reviewVerification(
    tenantOf(c),
    c.req.valid("param").id,
    c.req.valid("json"),
  );
  return c.json(view(row), 200);
};

/**
 * Reads the body as text before validation parses it: the signature covers the bytes received, which a
 * parsed-and-serialised body would not reproduce (Hono serves later reads from this text).
 */
export const keepRawBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await c.req.text();
  await next();
};

export const providerEvent: RouteHandler<typeof routes.providerEvent, AppEnv> = async (c) => {
  const context = c.get("context");
  const result = await recordDecision(
    c.get("database"),
    requireSealing(await context.secretsAtRest()),
    identityProviderOf(c.get("config")),
    {
      rawBody: await c.req.text(),
      signature: c.req.header(SIGNATURE_HEADER),
      event: c.req.valid("json"),
      now: context.now(),
      requestId: c.get("requestId"),
      ip: context.client.ip,
    },
  );
  return c.json(
    {
      recorded: result.recorded,
      verification_id: result.verification.id,
      status: result.verification.status,
    },
    200,
  );
};
