/**
 * A scored prediction as it is stored: its row and audit event chosen at the edge (id and time included), so the
 * response is given before the write and a retried write lands the same row once - written after the
 * response, or carried by the queue should that fail.
 */
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import type { NewAuditEvent } from "../../db/repositories/audit.repository";
import {
  type NewPrediction,
  type PredictionRow,
  writePredictionOnce,
} from "../../db/repositories/predictions.repository";
import type { PredictionKind } from "../../db/tables/risk";
import { describeError, log } from "../../logger";
import type { Scored } from "../../ml/engine";
import { namedVector, type PreparedInput } from "../../ml/features";
import type { Ratio } from "../../ml/ratios";
import { predictionMessage } from "../../queues/messages";
import type { RiskServices } from "../context";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { utcDay } from "./quota";
import type { ServingModel } from "./scoring";
/** What a prediction records beyond the score. */
export interface PredictionRecord {
  kind: PredictionKind;
  companyId: string | null;
  statementIds: string[] | null;
  rawInput: Record<string, unknown>;
  ratios: Record<string, Ratio> | null;
  reference: string | null;
}

/**
 * A prediction as it will be stored, with its audit event: its id and time are chosen here, at the edge, so
 * the response can be given before it is written and a retried write lands the same row once.
 */
export interface PredictionWrite {
  row: NewPrediction & { id: string; createdAt: Date };
  audit: NewAuditEvent;
  day: string;
}

export function predictionWrite(
  ctx: TenantContext,
  serving: ServingModel,
  result: { prepared: PreparedInput; scored: Scored },
  record: PredictionRecord,
): PredictionWrite {
  const { ref, sha256 } = serving.resolved.located;
  const now = ctx.now();
  const row = {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    kind: record.kind,
    companyId: record.companyId,
    statementIds: record.statementIds,
    modelName: ref.name,
    modelVersion: ref.version,
    modelSha256: sha256,
    modelSource: serving.resolved.source,
    probability: result.scored.probability,
    band: result.scored.band,
    contributions: result.scored.contributions,
    ratios: record.ratios,
    features: namedVector(result.prepared.vector, serving.model.manifest),
    rawInput: record.rawInput,
    reference: record.reference,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    requestId: ctx.requestId,
    createdAt: now,
  };
  const audit = eventOf(ctx, {
    action: "prediction.created",
    resourceType: "prediction",
    resourceId: row.id,
    after: { kind: row.kind, model: `${ref.name}@${ref.version}`, band: row.band, company_id: row.companyId },
  });
  return { row, audit, day: utcDay(now) };
}

/** The stored row a write makes, as the response shows it. */
export const storedRow = (write: PredictionWrite): PredictionRow => ({
  companyId: null,
  statementIds: null,
  ratios: null,
  reference: null,
  actorId: null,
  requestId: null,
  ...write.row,
});

/** The one-statement write of a prediction answered first (`writePredictionOnce`), as a batch. */
export const writeOnce = (db: Querier, write: PredictionWrite) => ({
  written: read(writePredictionOnce(db, write.row, write.day, write.audit)),
});

/**
 * Answers first, writes after: the prediction, its audit event and its quota count are written once the
 * response is out (`waitUntil`); should that write fail, it goes to the queue, whose consumer writes it the
 * same way - idempotently, by the id chosen here - so it is never lost, only late.
 */
export function recordAfterResponse(
  ctx: TenantContext,
  deps: RiskServices,
  write: PredictionWrite,
): PredictionRow {
  // The event is promised now; the request's audit count says so.
  ctx.audited += 1;
  ctx.afterResponse(async () => {
    try {
      // One statement in one batch: a write, though the batch runs through `read`.
      await ctx.read((db) => writeOnce(db, write));
    } catch (error) {
      log(deps.config.LOG_LEVEL, "warn", {
        msg: "prediction write failed; queued",
        requestId: ctx.requestId,
        prediction: write.row.id,
        error: describeError(error),
      });
      await deps.scoringQueue.send(predictionMessage(write));
    }
  });
  return storedRow(write);
}
