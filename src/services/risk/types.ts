/**
 * The risk domain as the rest of the application sees it: the vocabularies (statement periods, prediction
 * kinds, job statuses, model sources) and the records the risk services return. Routes build their
 * schemas and views from these names; the tables they are stored in stay behind the services.
 */
import type { CompanyRow } from "../../db/repositories/companies.repository";
import type { PredictionRow } from "../../db/repositories/predictions.repository";
import type { JobErrorRow, JobRow } from "../../db/repositories/scoring-jobs.repository";
import type { StatementRow } from "../../db/repositories/statements.repository";

export {
  JOB_STATUSES,
  type JobStatus,
  MODEL_SOURCES,
  type ModelSource,
  PERIOD_TYPES,
  type PeriodType,
  PREDICTION_KINDS,
  type PredictionKind,
} from "../../db/tables/risk";

/** A company of the tenant whose statements are scored. */
export type Company = CompanyRow;
/** One filed financial statement of a company. */
export type Statement = StatementRow;
/** A stored prediction: the model that made it, its probability, band and reasons. */
export type Prediction = PredictionRow;
/** A bulk scoring job and its progress. */
export type ScoringJob = JobRow;
/** A row of a bulk scoring file that could not be scored, and why. */
export type ScoringJobError = JobErrorRow;
