/**
 * Workers Analytics Engine data points (the `METRICS` binding): one per request (middleware/metrics.ts) and one
 * per bulk-scoring chunk scored (the queue consumer), in one shape so the README's SQL reads both. Writing is
 * fire-and-forget in the runtime; without the binding nothing is written, and a failure never reaches a caller.
 */
import { describeError, type LogLevel, log } from "./logger";

/** A data point, in the order the README's SQL names its columns. */
export interface DataPoint {
  /** index1: the tenant (the runtime samples per index), or `-` for an anonymous request. */
  indexes: [string];
  /**
   * blob1 route template (or `(unmatched)`, or `(queue) bulk scoring`), blob2 method (`QUEUE` for the consumer),
   * blob3 status class, blob4 problem code, blob5 tenant, blob6 environment, blob7 colo.
   */
  blobs: [string, string, string, string, string, string, string];
  /** double1 duration in ms, double2 status (0 for the consumer), double3 rows scored. */
  doubles: [number, number, number];
}

export interface Metrics {
  writeDataPoint(point: DataPoint): void;
}

/** Writes `point` to `dataset` if there is one; never throws. */
export function writePoint(dataset: Metrics | undefined, point: DataPoint, level: LogLevel): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint(point);
  } catch (error) {
    log(level, "warn", { msg: "metrics: data point not written", error: describeError(error) });
  }
}

/** A bulk-scoring chunk's rows, scored by the queue consumer in `ms`. */
export const scoringPoint = (tenantId: string, rows: number, ms: number, environment: string): DataPoint => ({
  indexes: [tenantId],
  blobs: ["(queue) bulk scoring", "QUEUE", "2xx", "", tenantId, environment, ""],
  doubles: [Math.round(ms * 100) / 100, 0, rows],
});
