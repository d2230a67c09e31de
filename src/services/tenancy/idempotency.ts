import type { Transaction } from "../../db/client";
import {
  findStoredResponse,
  type StoredResponse,
  storeResponse,
  tryClaimKey,
} from "../../db/repositories/idempotency.repository";
import { AppError } from "../../errors";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

/** An Idempotency-Key as stored: per tenant, key, and method and route. */
export interface IdempotencyKeyName {
  tenantId: string;
  key: string;
  route: string;
}

/**
 * Claims the key for the transaction (a duplicate in flight is 409 at once) and returns the response
 * stored under it, if any: a different request under the same key is 422, and a replay is audited as what
 * it is - a retry answered from the record - so the trail shows every money request.
 */
export async function claimIdempotencyKey(
  tx: Transaction,
  ctx: TenantContext,
  name: IdempotencyKeyName,
  requestHash: string,
): Promise<StoredResponse | undefined> {
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
  return stored;
}

/** Stores the first response under the key, in the transaction that made its effects. */
export async function rememberResponse(
  tx: Transaction,
  row: Omit<StoredResponse, "createdAt">,
): Promise<void> {
  await storeResponse(tx, row);
}
