import type { AppConfig } from "../../config";
import type { Bindings } from "../../env";
import type { ScoringMessage } from "../../queues/messages";

/** What risk services need beyond the database, passed in explicitly (services never see the Hono context). */
export interface RiskDeps {
  /** Model files, pointers and the catalogue. */
  models: R2Bucket;
  /** Bulk uploads and their results. */
  files: R2Bucket;
  queue: Queue<ScoringMessage>;
  config: AppConfig;
}

export const riskDeps = (env: Bindings, config: AppConfig): RiskDeps => ({
  models: env.MODELS,
  files: env.FILES,
  queue: env.SCORING_QUEUE as Queue<ScoringMessage>,
  config,
});
