/**
 * The portfolio domain as the rest of the application sees it: the vocabularies (asset classes,
 * transaction types and statuses, account kinds) and the records the portfolio services return. Routes
 * build their schemas and views from these names; the tables they are stored in stay behind the services.
 */
import type { AssetRow } from "../../db/repositories/assets.repository";
import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import type { PriceRow } from "../../db/repositories/prices.repository";

export {
  ACCOUNT_KINDS,
  type AccountKind,
  ASSET_CLASSES,
  TRANSACTION_STATUSES,
  TRANSACTION_TYPES,
  type TransactionStatus,
  type TransactionType,
} from "../../db/tables/portfolios";

/** An instrument a tenant holds or may trade. */
export type Asset = AssetRow;
/** A portfolio: its name, base currency and lifecycle. */
export type Portfolio = PortfolioRow;
/** One stored price of an asset at a moment, with where it came from. */
export type PricePoint = PriceRow;
