import type { AssetRow } from "../../db/repositories/assets.repository";
import type { TransactionType } from "../../db/tables/portfolios";
import { AppError } from "../../errors";
import { Dec, exceedsScale, fitsLedger, minorUnits, roundMoney, ZERO } from "../money/decimal";
import { bodyError } from "./access";
import type { TransactionTerms } from "./postings";

/** A transaction as asked for; which fields apply depends on the type (the route contract says which). */
export interface TransactionInput {
  type: TransactionType;
  assetId?: string | undefined;
  quantity?: string | undefined;
  price?: string | undefined;
  fees?: string | undefined;
  amount?: string | undefined;
  currency?: string | undefined;
  executedAt?: Date | undefined;
  note?: string | undefined;
  /** Who the cash comes from or goes to (a name or an account): checked against the tenant's blocklist. */
  counterparty?: string | undefined;
  pending: boolean;
}

export interface PricedTerms extends TransactionTerms {
  price: Dec | null;
  priceSource: "given" | "stored" | null;
}

const tooPrecise = (pointer: string, scale: number, what: string) =>
  bodyError(
    "validation_failed",
    pointer,
    `At most ${scale} decimal place${scale === 1 ? "" : "s"} for ${what}.`,
  );

/**
 * The exact terms of a transaction: quantities within the asset's precision, money within the currency's
 * minor unit, and a trade's price - given, or else the latest stored at or before its execution, refused
 * when missing or older than `stalenessSeconds` (a trade valued at a stale price moves the wrong money).
 */
export function priceTerms(
  input: TransactionInput,
  context: {
    asset: AssetRow | null;
    /** The asset's latest stored price at or before the execution, if any. */
    stored: { price: string; at: Date } | null;
    currency: string;
    executedAt: Date;
    stalenessSeconds: number;
  },
): PricedTerms {
  const { asset, currency } = context;
  const money = minorUnits(currency);
  const base = { type: input.type, assetId: asset?.id ?? null, currency, priceSource: null, price: null };
  if (input.type !== "buy" && input.type !== "sell") {
    const amount = input.amount as string;
    if (exceedsScale(amount, money)) throw tooPrecise("/amount", money, currency);
    return { ...base, quantity: null, amount: new Dec(amount), fees: ZERO };
  }
  if (!asset) throw bodyError("validation_failed", "/asset_id", "A trade names its asset.");
  const quantityText = input.quantity as string;
  if (exceedsScale(quantityText, asset.quantityScale)) {
    throw tooPrecise("/quantity", asset.quantityScale, `${asset.symbol} quantities`);
  }
  const fees = new Dec(input.fees ?? "0");
  if (exceedsScale(fees.toFixed(), money)) throw tooPrecise("/fees", money, currency);

  let price: Dec;
  let priceSource: "given" | "stored";
  if (input.price !== undefined) {
    price = new Dec(input.price);
    priceSource = "given";
  } else {
    const { stored } = context;
    const oldest = context.executedAt.getTime() - context.stalenessSeconds * 1000;
    if (!stored || stored.at.getTime() < oldest) {
      const detail = stored
        ? `The latest price of ${asset.symbol} (${stored.at.toISOString()}) is older than ${context.stalenessSeconds} s; give a price.`
        : `No price of ${asset.symbol} is stored; give a price.`;
      throw new AppError("stale_price", detail, {
        errors: [{ location: "body", pointer: "/price", message: detail, code: "stale_price" }],
      });
    }
    price = new Dec(stored.price);
    priceSource = "stored";
  }
  const quantity = new Dec(quantityText);
  const amount = roundMoney(quantity.mul(price), currency);
  if (amount.isZero())
    throw bodyError("validation_failed", "/quantity", "The trade is worth nothing at this price.");
  if (!fitsLedger(amount.add(fees)))
    throw bodyError("validation_failed", "/quantity", "The trade is too large.");
  return { ...base, quantity, amount, fees, price, priceSource };
}
