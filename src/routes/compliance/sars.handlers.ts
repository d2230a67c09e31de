import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as sarExports from "../../services/compliance/sar-exports";
import * as sars from "../../services/compliance/sars";
import { requireSealing } from "../../services/crypto/secrets-at-rest";
import type * as routes from "./sars.routes";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toSarView = (s: sars.Sar): z.infer<typeof routes.SarSchema> => ({
  id: s.id,
  case_id: s.caseId,
  status: s.status,
  subject_ids: s.subjectIds,
  transaction_ids: s.transactionIds,
  activity_from: s.activityFrom.toISOString(),
  activity_to: s.activityTo.toISOString(),
  amounts: s.amounts,
  narrative: s.narrative,
  detected_at: s.detectedAt.toISOString(),
  due_at: s.dueAt.toISOString(),
  late: s.late,
  prepared_by: s.preparedBy,
  approved_by: s.approvedBy,
  approved_at: iso(s.approvedAt),
  filed_by: s.filedBy,
  filed_at: iso(s.filedAt),
  filing_reference: s.filingReference,
  version: s.version,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
});

export const draftSar: RouteHandler<typeof routes.draftSar, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const sar = await sars.draftSar(tenantOf(c), c.req.valid("param").id, {
    narrative: body.narrative,
    transactionIds: body.transaction_ids,
    activityFrom: body.activity_from ? new Date(body.activity_from) : undefined,
    activityTo: body.activity_to ? new Date(body.activity_to) : undefined,
  });
  return c.json(toSarView(sar), 201);
};

export const getSar: RouteHandler<typeof routes.getSar, AppEnv> = async (c) =>
  c.json(toSarView(await sars.getSar(tenantOf(c), c.req.valid("param").id)), 200);

export const updateSar: RouteHandler<typeof routes.updateSar, AppEnv> = async (c) =>
  c.json(
    toSarView(await sars.updateSar(tenantOf(c), c.req.valid("param").id, c.req.valid("json").narrative)),
    200,
  );

export const approveSar: RouteHandler<typeof routes.approveSar, AppEnv> = async (c) =>
  c.json(toSarView(await sars.approveSar(tenantOf(c), c.req.valid("param").id)), 200);

export const fileSar: RouteHandler<typeof routes.fileSar, AppEnv> = async (c) =>
  c.json(
    toSarView(await sars.fileSar(tenantOf(c), c.req.valid("param").id, c.req.valid("json").filing_reference)),
    200,
  );

export const exportSar: RouteHandler<typeof routes.exportSar, AppEnv> = async (c) => {
  const { format } = c.req.valid("query");
  const keys = requireSealing(await c.get("context").secretsAtRest());
  const exported = await sarExports.exportSar(tenantOf(c), keys, c.req.valid("param").id);
  const name = `sar-${exported.sar.id}.${format}`;
  const disposition = { "Content-Disposition": `attachment; filename="${name}"` };
  if (format === "csv") {
    return c.body(sarExports.sarCsv(exported), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      ...disposition,
    });
  }
  return c.body(
    JSON.stringify({
      filer: exported.filer,
      sar: toSarView(exported.sar),
      subjects: exported.subjects,
    }),
    200,
    { "Content-Type": "application/json", ...disposition },
  );
};
