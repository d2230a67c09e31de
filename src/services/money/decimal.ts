/**
 * Exact decimal arithmetic for money, quantities and returns. Values arrive as decimal strings, live in
 * Postgres as numeric, and are computed here with decimal.js - never as JavaScript floats.
 */
import DecimalJs from "decimal.js";

// A private constructor, so this configuration cannot leak into (or be changed by) other code. 50
// significant digits hold any numeric(38, 18) exactly, with room for intermediate products; half-even
// rounding avoids the upward drift of half-up over many roundings.
export const Dec = DecimalJs.clone({
  precision: 50,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -60,
  toExpPos: 60,
});
export type Dec = DecimalJs;

/**
 * The decimal strings accepted from outside (clients, the price feed): at most 15 integer digits and 18
 * decimals, no sign, exponent, leading zeros or spaces - exactly what numeric(38, 18) stores.
 */
export const DECIMAL_PATTERN = /^(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,18})?$/;

export const ZERO = new Dec(0);
// Beware: decimal.js's isPositive() is true for 0 and isNegative() for -0; compare with gt(0) and lt(0).

/** Amounts the ledger can hold: numeric(38, 18) leaves 20 integer digits. */
const LIMIT = new Dec(10).pow(20);
export const fitsLedger = (value: Dec): boolean => value.abs().lt(LIMIT);

// ISO 4217 minor units where they are not 2. Anything unlisted has cents.
const MINOR_UNITS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Decimal places of the currency's minor unit (2 for USD, 0 for JPY, 3 for KWD). */
export const minorUnits = (currency: string): number => MINOR_UNITS[currency] ?? 2;

/** Rounds a cash amount to the currency's minor unit, half to even. */
export const roundMoney = (value: Dec, currency: string): Dec =>
  value.toDecimalPlaces(minorUnits(currency), Dec.ROUND_HALF_EVEN);

/** Whether a decimal string has more significant decimals than `scale` ("1.50" fits scale 1). */
export const exceedsScale = (text: string, scale: number): boolean => new Dec(text).decimalPlaces() > scale;

/** Never NaN or Infinity on the wire: a non-finite value is a defect, answered as one (500). */
function finite(value: Dec): Dec {
  if (!value.isFinite()) throw new Error("a non-finite decimal reached the wire");
  return value;
}

export const formatMoney = (value: Dec, currency: string): string =>
  finite(value).toFixed(minorUnits(currency));
export const formatQuantity = (value: Dec, scale: number): string => finite(value).toFixed(scale);
/** Prices keep what they were given, without trailing zeros. */
export const formatPrice = (value: Dec): string => finite(value).toFixed();
/** Ratios (returns, weights) to ten decimal places. */
export const formatRatio = (value: Dec): string => finite(value).toFixed(10);
