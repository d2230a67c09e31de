import { and, eq } from "drizzle-orm";
import { read } from "../../db/batch";
import {
  type AssetRow,
  type AssetValues,
  assetAsRead,
  assetById,
  listAssets,
} from "../../db/repositories/assets.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { asRead } from "../../db/requirements";
import { assets } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { bodyError } from "./access";

const noSuchAsset = () => new AppError("not_found", "No such asset.");
const summaryOf = (
  row: Pick<
    AssetRow,
    "symbol" | "name" | "assetClass" | "currency" | "exchange" | "quantityScale" | "feedSymbol"
  >,
) => ({
  symbol: row.symbol,
  name: row.name,
  assetClass: row.assetClass,
  currency: row.currency,
  exchange: row.exchange,
  quantityScale: row.quantityScale,
  feedSymbol: row.feedSymbol,
});

export async function listTenantAssets(
  ctx: TenantContext,
  options: { limit: number; cursor: string | undefined; q: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listAssets(db, ctx.tenantId, { q: options.q, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getAsset(ctx: TenantContext, id: string): Promise<AssetRow> {
  const [row] = await ctx.readOne((db) => assetById(db, ctx.tenantId, id));
  if (!row) throw noSuchAsset();
  return row;
}

/**
 * Creates an asset in one round trip, its audit event in the same batch; the symbol is unique in the tenant
 * (the unique index judges concurrent creations).
 */
export async function createAsset(
  ctx: TenantContext,
  input: Omit<AssetValues, "tenantId">,
): Promise<AssetRow> {
  const values = {
    ...input,
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    exchange: input.exchange ?? null,
    feedSymbol: input.feedSymbol ?? null,
  };
  const event = eventOf(ctx, {
    action: "asset.created",
    resourceType: "asset",
    resourceId: values.id,
    after: summaryOf(values),
  });
  const written = await unlessDuplicate(
    ["assets_tenant_symbol_key"],
    () => new AppError("conflict", `An asset with symbol ${input.symbol} exists.`),
    () =>
      ctx.write("assets:manage", null, (db) => ({
        row: read(db.insert(assets).values(values).returning(), (rows) => rows[0]),
        audit: read(auditEventStatement(db, event)),
      })),
  );
  if (!written.row) throw new Error("asset insert returned nothing");
  ctx.audited += 1;
  return written.row;
}

/**
 * Changes an asset's descriptive fields. The symbol and currency are fixed (prices and portfolios refer to
 * them); the quantity precision may only grow, so every quantity already held stays representable. Decided
 * on one read, written in a batch that holds only if the asset is still as read.
 */
export async function updateAsset(
  ctx: TenantContext,
  id: string,
  patch: Partial<Pick<AssetRow, "name" | "assetClass" | "exchange" | "quantityScale" | "feedSymbol">>,
): Promise<AssetRow> {
  return asRead("The asset kept changing while this request was made; retry it.", async () => {
    const [before] = await ctx.readOne((db) => assetById(db, ctx.tenantId, id));
    if (!before) throw noSuchAsset();
    if (patch.quantityScale !== undefined && patch.quantityScale < before.quantityScale) {
      throw bodyError(
        "validation_failed",
        "/quantity_scale",
        `The quantity precision may only grow (it is ${before.quantityScale}).`,
      );
    }
    const event = eventOf(ctx, {
      action: "asset.updated",
      resourceType: "asset",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf({ ...before, ...patch }),
    });
    const changes = Object.keys(patch).length > 0;
    const written = await ctx.write("assets:manage", null, (db) => ({
      asRead: read(assetAsRead(db, before)),
      ...(changes
        ? {
            row: read(
              db
                .update(assets)
                .set(patch)
                .where(and(eq(assets.tenantId, ctx.tenantId), eq(assets.id, id)))
                .returning(),
              (rows) => rows[0],
            ),
          }
        : {}),
      audit: read(auditEventStatement(db, event)),
    }));
    ctx.audited += 1;
    return (written.row as AssetRow | undefined) ?? before;
  });
}
