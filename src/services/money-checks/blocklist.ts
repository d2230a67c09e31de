/** The tenant's blocklist: entries validated by kind, added and removed each in one batch with its audit event. */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type BlocklistRow,
  blocklistDelete,
  blocklistPage,
  ownerRequirement,
} from "../../db/repositories/money.repository";
import { meetingRequirements } from "../../db/requirements";
import type { BlocklistKind } from "../../db/schema";
import { moneyBlocklist } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { bodyError } from "../portfolios/access";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";

export async function listBlocklist(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined; kind?: BlocklistKind | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    blocklistPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/([0-9]|[12][0-9]|3[0-2]))?$/;
const IPV6_CIDR = /^[0-9a-f:.]{2,45}(\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?$/;
const EMAIL = /^[^\s@]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An entry's value as stored (lower-case), or a 422 saying what the kind expects. */
function entryValue(kind: BlocklistKind, raw: string): string {
  const value = raw.trim().toLowerCase();
  const valid =
    kind === "ip"
      ? (IPV4_CIDR.test(value) &&
          value
            .split("/")[0]
            ?.split(".")
            .every((o) => Number(o) <= 255)) ||
        (value.includes(":") && IPV6_CIDR.test(value))
      : kind === "email"
        ? EMAIL.test(value)
        : kind === "domain"
          ? DOMAIN.test(value)
          : kind === "customer"
            ? UUID.test(value)
            : value.length > 0 && value.length <= 200;
  if (!valid) {
    const expected = {
      ip: "an IPv4 or IPv6 address or network (CIDR), such as 203.0.113.0/24",
      email: "an e-mail address",
      domain: "a domain such as example.com",
      customer: "a customer's id",
      counterparty: "a counterparty's name or account (1-200 characters)",
    }[kind];
    throw bodyError("validation_failed", "/value", `A ${kind} entry is ${expected}.`);
  }
  return value;
}

/** Adds an entry (409 if the tenant has it already); a customer entry must name one of its customers. */
export async function addBlocklistEntry(
  ctx: TenantContext,
  input: { kind: BlocklistKind; value: string; note: string | null },
): Promise<BlocklistRow> {
  const value = entryValue(input.kind, input.value);
  const row = {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    kind: input.kind,
    value,
    network: input.kind === "ip" ? value : null,
    note: input.note,
    createdByType: ctx.actor.type,
    createdBy: ctx.actor.id,
    createdAt: ctx.now(),
  };
  const event = eventOf(ctx, {
    action: "money_blocklist.added",
    resourceType: "money_blocklist",
    resourceId: row.id,
    after: { kind: row.kind, value: row.value, note: row.note },
  });
  const duplicate = () => new AppError("conflict", `The blocklist already holds this ${input.kind}.`);
  const noCustomer = () => bodyError("not_found", "/value", "No such customer.");
  const written = await unlessDuplicate(["money_blocklist_entry_key"], duplicate, () =>
    meetingRequirements({ no_customer: noCustomer }, () =>
      ctx.write("fraud:manage", null, (db) => ({
        ...(input.kind === "customer"
          ? { customer: read(ownerRequirement(db, ctx.tenantId, value, "no_customer")) }
          : {}),
        row: read(db.insert(moneyBlocklist).values(row).returning(), (rows) => rows[0]),
        audit: read(auditEventStatement(db, event)),
      })),
    ),
  );
  ctx.audited += 1;
  if (!written.row) throw new Error("blocklist insert returned nothing");
  return written.row;
}

/** Removes an entry, with its audit event, in one batch (404 if there is none). */
export async function removeBlocklistEntry(ctx: TenantContext, id: string): Promise<void> {
  const written = await ctx.write("fraud:manage", null, (db) => ({
    row: read(blocklistDelete(db, ctx.tenantId, id), (rows) => rows[0]),
    audit: read(
      auditEventStatement(
        db,
        eventOf(ctx, { action: "money_blocklist.removed", resourceType: "money_blocklist", resourceId: id }),
      ),
    ),
  }));
  if (!written.row) throw new AppError("not_found", "No such blocklist entry.");
  ctx.audited += 1;
}
