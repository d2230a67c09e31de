/**
 * The record behind Idempotency-Key: a request names its key (tenant, key, method and route), claims it
 * for its transaction, and either finds the answer an earlier identical request got or leaves its own
 * for the next retry. The HTTP side (headers, which answers are outcomes) stays with the middleware.
 */
import type { Transaction } from "../../db/client";
import { findStoredResponse, storeResponse, tryClaimKey } from "../../db/repositories/idempotency.repository";
import { AppError } from "../../errors";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

/** An Idempotency-Key request as the write that honours it needs it: which key, which request, for how long. */
export interface IdempotentRequest {
  key: string;
  route: string;
  requestHash: string;
  ttlSeconds: number;
}

// Refusals made before anything was decided are not stored (as Stripe): a corrected retry may reuse its
// key. Rate limits, timeouts, duplicates in flight and server errors are not outcomes either.
const NOT_STORED = new Set([
  "malformed_json",
  "invalid_parameters",
  "validation_failed",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "request_timeout",
  "idempotency_conflict",
  "idempotency_key_reused",
]);

/** Whether a refusal is an outcome a retry under the same key must get again (see NOT_STORED). */
export const isStoredRefusal = (error: { code: string; status: number }): boolean =>
  error.status < 500 && error.status !== 429 && !NOT_STORED.has(error.code);

/** Which key: per tenant, and per method and route, so one key may serve different endpoints. */
export interface IdempotencyKeyName {
  tenantId: string;
  key: string;
  route: string;
}

/** A response as it was first given. */
export interface RecordedResponse {
  status: number;
  body: string;
  contentType: string | null;
}

/**
 * Claims the key for the rest of `tx` and returns the response recorded under it, if any. A duplicate
 * in flight is 409; the key used for a different request (another hash) is 422. A replay is audited as
 * what it is - a retry answered from the record - so the trail shows every money request.
 */
export async function claimIdempotencyKey(
  tx: Transaction,
  ctx: TenantContext,
  name: IdempotencyKeyName,
  requestHash: string,
): Promise<RecordedResponse | undefined> {
  if (!(await tryClaimKey(tx, name))) {
    throw new AppError("idempotency_conflict", "A request with this Idempotency-Key is in flight.", {
      headers: { "Retry-After": "1" },
    });
  }
  const stored = await findStoredResponse(tx, name, ctx.now());
  if (!stored) return undefined;
  if (stored.requestHash !== requestHash) {
    throw new AppError(
      "idempotency_key_reused",
      "This Idempotency-Key was used for a different request; use a new key for a new request.",
    );
  }
  await recordAudit(tx, ctx, {
    action: "idempotency.replayed",
    resourceType: "idempotency_key",
    resourceId: name.key,
    after: { route: name.route, status: stored.responseStatus },
  });
  return {
    status: stored.responseStatus,
    body: stored.responseBody,
    contentType: stored.responseContentType,
  };
}

/** Records the response under the claimed key, to be replayed for `ttlSeconds`. */
export async function recordIdempotentResponse(
  tx: Transaction,
  ctx: TenantContext,
  name: IdempotencyKeyName,
  requestHash: string,
  response: RecordedResponse,
  ttlSeconds: number,
): Promise<void> {
  await storeResponse(tx, {
    ...name,
    requestHash,
    responseStatus: response.status,
    responseBody: response.body,
    responseContentType: response.contentType,
    expiresAt: new Date(ctx.now().getTime() + ttlSeconds * 1000),
  });
}
