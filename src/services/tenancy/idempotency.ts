/**
 * Idempotency-Key as the writes that honour it see it: which request a key names, and which refusals are
 * outcomes a retry must get again. The key is claimed, and the answer replayed or recorded, by the database
 * call that makes the write (migrations/0012, finedge_write_begin and finedge_write_end).
 */
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
