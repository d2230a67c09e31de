/**
 * The sanctions lists a tenant uploads (OFAC's SDN files) and the rescreen of every customer each new list
 * sets off.
 *
 * An upload is read whole before anything is stored: a file that is not UTF-8, not in the SDN format, or holds
 * a single row that cannot be read is refused (422, each problem with its file and line), so a list is never
 * stored in part. The caller's standing is read before anything is stored (the route does not put it in the
 * batch); the files go to R2 under the list's id, then one batch records the list (`processing`, the tenant's
 * next version) with its audit event, and a queue message sets off the rescreen. Should that batch fail, the
 * files are deleted again.
 *
 * The rescreen (`rescreenPages`, the queue's consumer) pages through the tenant's customers oldest first, a
 * page per batch read - the customers with every match they have - screening each name and writing the page's
 * matches, superseded matches, ratings and audit events in one batch that holds only if none of those
 * customers changed meanwhile (else the page is read again). A message handles a few pages and queues the
 * next; the last marks the list ready. Everything it writes is keyed, so a redelivered message writes the
 * same again and a list already settled is left alone.
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  insertSanctionsList,
  listSanctionsLists as listRows,
  type SanctionsListRow,
  sanctionsListById,
  settleSanctionsList,
} from "../../db/repositories/sanctions.repository";
import { AppError, type FieldError } from "../../errors";
import { sha256Hex } from "../../ml/sha256";
import type { SanctionsRescreenMessage } from "../../queues/messages";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { sanctionsFileKey, sdnMetadata } from "./sanctions-store";
import { parseSdnList, SdnFormatError, type SdnProblem } from "./sdn-list";

export type SanctionsList = SanctionsListRow;

export const sanctionsListNotFound = () => new AppError("not_found", "No such sanctions list.");

/** The raw files of an upload: the SDN file and, optionally, its aliases. */
export interface SanctionsUpload {
  sdn: Uint8Array;
  alt: Uint8Array | null;
}

/** At most this many problems are listed in a refusal (the count is in its detail). */
const PROBLEMS_SHOWN = 50;

const refusedFile = (detail: string, errors: FieldError[]) =>
  new AppError("validation_failed", detail, { errors: errors.slice(0, PROBLEMS_SHOWN) });

function text(file: "sdn" | "alt", bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw refusedFile(`${file}.csv is not UTF-8 text.`, [
      { location: "body", pointer: `/${file}`, message: "not UTF-8 text", code: "invalid_encoding" },
    ]);
  }
}

const problemError = (p: SdnProblem): FieldError => ({
  location: "body",
  pointer: `/${p.file}`,
  message: `line ${p.line}: ${p.reason}`,
  code: "invalid_row",
});

/** The upload read whole: its entries and aliases counted, or a 422 naming every problem by file and line. */
export function readUpload(upload: SanctionsUpload) {
  const sdn = text("sdn", upload.sdn);
  const alt = upload.alt === null ? undefined : text("alt", upload.alt);
  let parsed: ReturnType<typeof parseSdnList>;
  try {
    parsed = parseSdnList({ sdn, ...(alt === undefined ? {} : { alt }) });
  } catch (error) {
    if (!(error instanceof SdnFormatError)) throw error;
    throw refusedFile(error.message, [
      { location: "body", pointer: `/${error.file}`, message: error.message, code: "invalid_format" },
    ]);
  }
  if (parsed.problems.length > 0) {
    const n = parsed.problems.length;
    throw refusedFile(
      `The list has ${n} row${n === 1 ? "" : "s"} that cannot be read; nothing was stored.`,
      parsed.problems.map(problemError),
    );
  }
  return {
    entries: parsed.entries.length,
    aliases: parsed.entries.reduce((sum, e) => sum + e.aliases.length, 0),
  };
}

/** What uploading a list needs beyond the tenant's context: the files bucket and the queue. */
export interface SanctionsServices {
  files: R2Bucket;
  queue: Queue<SanctionsRescreenMessage>;
}

/** Stores an uploaded list and sets off the rescreen; answers the list, `processing`. */
export async function uploadSanctionsList(
  ctx: TenantContext,
  deps: SanctionsServices,
  upload: SanctionsUpload,
): Promise<SanctionsList> {
  const counts = readUpload(upload);
  const id = crypto.randomUUID();
  const sdnKey = sanctionsFileKey(ctx.tenantId, id, "sdn");
  const altKey = upload.alt === null ? null : sanctionsFileKey(ctx.tenantId, id, "alt");
  const [sdnSha256, altSha256] = await Promise.all([
    sha256Hex(upload.sdn),
    upload.alt === null ? Promise.resolve(null) : sha256Hex(upload.alt),
  ]);
  const removeFiles = () => deps.files.delete([sdnKey, ...(altKey ? [altKey] : [])]).catch(() => undefined);
  // The aliases first: the SDN file's metadata says they belong to it, so it is written last.
  if (altKey !== null && upload.alt !== null) await deps.files.put(altKey, upload.alt);
  await deps.files.put(sdnKey, upload.sdn, { customMetadata: sdnMetadata(altKey !== null) });
  const values = {
    id,
    tenantId: ctx.tenantId,
    entries: counts.entries,
    aliases: counts.aliases,
    sdnKey,
    altKey,
    sdnSha256,
    altSha256,
    bytes: upload.sdn.byteLength + (upload.alt?.byteLength ?? 0),
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
  };
  const event = eventOf(ctx, {
    action: "sanctions_list.uploaded",
    resourceType: "sanctions_list",
    resourceId: id,
    after: { entries: counts.entries, aliases: counts.aliases, sdnSha256, altSha256 },
  });
  let written: { row: SanctionsListRow | undefined };
  try {
    written = await ctx.write("sanctions:manage", null, (db) => ({
      row: read(insertSanctionsList(db, values), (rows) => rows[0]),
      audit: read(auditEventStatement(db, event)),
    }));
  } catch (error) {
    await removeFiles();
    throw error;
  }
  if (!written.row) throw new Error("sanctions list insert returned nothing");
  ctx.audited += 1;
  try {
    await deps.queue.send({ type: "sanctions_rescreen", tenantId: ctx.tenantId, listId: id });
  } catch (error) {
    // Without its message the list would stay processing: it is failed, and the upload refused.
    await ctx.write("sanctions:manage", null, (db) => ({
      failed: read(
        settleSanctionsList(db, ctx.tenantId, id, {
          status: "failed",
          failure: "the rescreen could not be queued",
        }),
      ),
    }));
    throw new AppError(
      "service_unavailable",
      "The list could not be queued for screening; upload it again.",
      {
        headers: { "Retry-After": "5" },
        cause: error,
      },
    );
  }
  return written.row;
}

export async function getSanctionsList(ctx: TenantContext, id: string): Promise<SanctionsList> {
  const [row] = await ctx.readOne((db) => sanctionsListById(db, ctx.tenantId, id));
  if (!row) throw sanctionsListNotFound();
  return row;
}

export async function listSanctionsLists(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) => listRows(db, ctx.tenantId, { before, limit: options.limit + 1 }));
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

// --- The rescreen, run by the queue's consumer

/** What the rescreen needs: the tenant's database, the files, the keys customers' names are sealed with. */
