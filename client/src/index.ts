export type { AuthApi, SignInResult } from "./auth.js";
export type { BulkApi, BulkUpload, JobAccepted, ScoringJob } from "./bulk.js";
export { createFinEdgeClient, type FinEdgeClient, type FinEdgeClientOptions } from "./client.js";
export { problemCodes } from "./generated/operations.js";
export type { components, operations, paths } from "./generated/schema.js";
export { documentsIdempotencyKey, idempotencyKeys } from "./idempotency.js";
export { ok, type Page, paginate } from "./pagination.js";
export { type FieldError, FinEdgeProblem, isProblem, type Problem, type ProblemCode } from "./problem.js";
export { csrfCookie, Session, type TokenDelivery } from "./session.js";
export {
  memoryTokenStore,
  type SecureStorageAdapter,
  secureTokenStore,
  type TokenStore,
  type Tokens,
  type WebStorage,
  webStorageTokenStore,
} from "./tokens.js";
export { DEFAULT_RETRY, type FetchLike, type RetryPolicy, retryAfterMs, Transport } from "./transport.js";
export type { UploadMethod, UploadProgress, UploadSource } from "./upload.js";
