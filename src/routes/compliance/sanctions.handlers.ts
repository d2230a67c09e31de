import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { tenantOf } from "../../middleware/authorize";
import * as lists from "../../services/compliance/sanctions-lists";
import * as matches from "../../services/compliance/sanctions-matches";
import type { SanctionsCandidate } from "../../services/compliance/sanctions-store";
import { pageBody } from "../page";
import type * as routes from "./sanctions.routes";

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export const toListView = (l: lists.SanctionsList): z.infer<typeof routes.SanctionsListSchema> => ({
  id: l.id,
  version: l.version,
  source: l.source,
  status: l.status,
  entries: l.entries,
  aliases: l.aliases,
  sdn_sha256: l.sdnSha256,
  alt_sha256: l.altSha256,
  bytes: l.bytes,
  customers_screened: l.customersScreened,
  matches_found: l.matchesFound,
  failure: l.failure,
  uploaded_by: { type: l.actorType, id: l.actorId },
  created_at: l.createdAt.toISOString(),
  ready_at: iso(l.readyAt),
});

const candidateView = (c: SanctionsCandidate) => ({
  entry_uid: c.entryUid,
  entry_name: c.entryName,
  entry_type: c.entryType,
  programs: c.programs,
  matched_name: c.matchedName,
  alias_type: c.aliasType,
  weak: c.weak,
  score: c.score,
});

export const toMatchView = (m: matches.SanctionsMatch): z.infer<typeof routes.SanctionsMatchSchema> => ({
  id: m.id,
  customer_id: m.customerId,
  list_id: m.listId,
  origin: m.origin,
  ...candidateView({
    entryUid: m.entryUid,
    entryName: m.entryName,
    entryType: m.entryType as SanctionsCandidate["entryType"],
    programs: m.programs,
    matchedName: m.matchedName,
    aliasType: m.aliasType as SanctionsCandidate["aliasType"],
    weak: m.weak,
    score: m.score,
  }),
  status: m.status,
  live: m.supersededAt === null,
  decision:
    m.decidedAt === null || m.decisionReason === null
      ? null
      : {
          reason: m.decisionReason,
          decided_at: m.decidedAt.toISOString(),
          decided_by: { type: m.decidedByType ?? "system", id: m.decidedById },
        },
  created_at: m.createdAt.toISOString(),
  updated_at: m.updatedAt.toISOString(),
});

const missing = (part: string) =>
  new AppError("validation_failed", `The upload has no ${part} part.`, {
    errors: [{ location: "body", pointer: `/${part}`, message: "required", code: "missing_part" }],
  });

async function bytesOf(part: File | string | null): Promise<Uint8Array | null> {
  if (part === null) return null;
  return typeof part === "string" ? new TextEncoder().encode(part) : new Uint8Array(await part.arrayBuffer());
}

export const uploadSanctionsList: RouteHandler<typeof routes.uploadSanctionsList, AppEnv> = async (c) => {
  if (!/^multipart\/form-data\s*;/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "Sanctions lists are uploaded as multipart/form-data.", {
      headers: { "Accept-Post": "multipart/form-data" },
    });
  }
  const form = await c.req.raw.formData().catch(() => {
    throw new AppError("bad_request", "The multipart body cannot be read.");
  });
  const sdn = await bytesOf(form.get("sdn"));
  if (!sdn || sdn.byteLength === 0) throw missing("sdn");
  const alt = await bytesOf(form.get("alt"));
  const context = c.get("context");
  const list = await lists.uploadSanctionsList(
    tenantOf(c),
    { files: context.files, queue: context.scoringQueue },
    { sdn, alt: alt && alt.byteLength > 0 ? alt : null },
  );
  return c.json(toListView(list), 202);
};

export const listSanctionsLists: RouteHandler<typeof routes.listSanctionsLists, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await lists.listSanctionsLists(tenantOf(c), { limit, cursor });
  return c.json(pageBody(page, toListView), 200);
};

export const getSanctionsList: RouteHandler<typeof routes.getSanctionsList, AppEnv> = async (c) => {
  return c.json(toListView(await lists.getSanctionsList(tenantOf(c), c.req.valid("param").id)), 200);
};

export const listSanctionsMatches: RouteHandler<typeof routes.listSanctionsMatches, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await matches.listMatches(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    status: q.status,
    customerId: q.customer_id,
    listId: q.list_id,
    live: q.live === undefined ? undefined : q.live === "true",
  });
  return c.json(pageBody(page, toMatchView), 200);
};

export const getSanctionsMatch: RouteHandler<typeof routes.getSanctionsMatch, AppEnv> = async (c) => {
  return c.json(toMatchView(await matches.getMatch(tenantOf(c), c.req.valid("param").id)), 200);
};

export const confirmSanctionsMatch: RouteHandler<typeof routes.confirmSanctionsMatch, AppEnv> = async (c) => {
  const match = await matches.decideSanctionsMatch(tenantOf(c), c.req.valid("param").id, {
    status: "confirmed",
    reason: c.req.valid("json").reason,
  });
  return c.json(toMatchView(match), 200);
};

export const dismissSanctionsMatch: RouteHandler<typeof routes.dismissSanctionsMatch, AppEnv> = async (c) => {
  const match = await matches.decideSanctionsMatch(tenantOf(c), c.req.valid("param").id, {
    status: "dismissed",
    reason: c.req.valid("json").reason,
  });
  return c.json(toMatchView(match), 200);
};

export const screenName: RouteHandler<typeof routes.screenName, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const screening = await matches.screenName(tenantOf(c), c.get("context").files, body);
  return c.json(
    {
      id: screening.id,
      list: screening.list,
      candidates: screening.candidates.map(candidateView),
      screened_at: screening.screenedAt.toISOString(),
    },
    200,
  );
};
