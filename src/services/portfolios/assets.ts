import {
  type AssetRow,
  type AssetValues,
  assetById,
  findAsset,
  insertAsset,
  listAssets,
  updateAsset as updateRow,
} from "../../db/repositories/assets.repository";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { bodyError } from "./access";

const noSuchAsset = () => new AppError("not_found", "No such asset.");
const summaryOf = (row: AssetRow) => ({
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

/** Creates an asset; the symbol is unique in the tenant (the unique index judges concurrent creations). */
export async function createAsset(
  ctx: TenantContext,
  input: Omit<AssetValues, "tenantId">,
): Promise<AssetRow> {
  return unlessDuplicate(
    ["assets_tenant_symbol_key"],
    () => new AppError("conflict", `An asset with symbol ${input.symbol} exists.`),
    () =>
      ctx.transaction(async (tx) => {
        const row = await insertAsset(tx, { ...input, tenantId: ctx.tenantId });
        await recordAudit(tx, ctx, {
          action: "asset.created",
          resourceType: "asset",
          resourceId: row.id,
          after: summaryOf(row),
        });
        return row;
      }),
  );
}

/**
 * Changes an asset's descriptive fields. The symbol and currency are fixed (prices and portfolios refer to
 * them); the quantity precision may only grow, so every quantity already held stays representable.
 */
export async function updateAsset(
  ctx: TenantContext,
  id: string,
  patch: Partial<Pick<AssetRow, "name" | "assetClass" | "exchange" | "quantityScale" | "feedSymbol">>,
): Promise<AssetRow> {
  return ctx.transaction(async (tx) => {
    const before = await findAsset(tx, ctx.tenantId, id);
    if (!before) throw noSuchAsset();
    if (patch.quantityScale !== undefined && patch.quantityScale < before.quantityScale) {
      throw bodyError(
        "validation_failed",
        "/quantity_scale",
        `The quantity precision may only grow (it is ${before.quantityScale}).`,
      );
    }
    const after = Object.keys(patch).length > 0 ? await updateRow(tx, ctx.tenantId, id, patch) : before;
    if (!after) throw noSuchAsset();
    await recordAudit(tx, ctx, {
      action: "asset.updated",
      resourceType: "asset",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf(after),
    });
    return after;
  });
}
