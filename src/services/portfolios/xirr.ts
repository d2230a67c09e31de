/**
 * Money-weighted return: the annual rate r at which the portfolio's external flows and its start and end
 * values discount to zero - XIRR, with time in days / 365 as spreadsheets count it:
 *
 *   sum_i  a_i / (1 + r)^(d_i / 365) = 0      (a_i: money in negative, money out positive)
 *
 * The root is found on x = ln(1 + r), where r > -1 always holds: the nearest sign change to x = 0 on a
 * 0.01 grid out to |x| = 10 (r from -99.995% to +2,202,546%), then bisection to 1e-13. This is the one
 * place a binary float is used - a root-finder's iterate, not money - and the result leaves as a decimal
 * rounded to 10 places. No root (all flows one way, or beyond the range): null, never NaN or Infinity.
 */
import { Dec } from "../money/decimal";

const DAY_MS = 86_400_000;
const STEP = 0.01;
const LIMIT = 10;

export interface Flow {
  at: Date;
  amount: Dec;
}

export function xirr(flows: Flow[]): Dec | null {
  const live = flows.filter((flow) => !flow.amount.isZero());
  if (!live.some((f) => f.amount.gt(0)) || !live.some((f) => f.amount.lt(0))) return null;
  const start = Math.min(...live.map((f) => f.at.getTime()));
  const terms = live.map((f) => ({
    years: (f.at.getTime() - start) / DAY_MS / 365,
    amount: f.amount.toNumber(),
  }));
  const npv = (x: number) => terms.reduce((sum, t) => sum + t.amount * Math.exp(-x * t.years), 0);

  const bracket = (): [number, number] | undefined => {
    if (npv(0) === 0) return [0, 0];
    for (let k = 1; k * STEP <= LIMIT; k++) {
      for (const [a, b] of [
        [(k - 1) * STEP, k * STEP],
        [-(k - 1) * STEP, -k * STEP],
      ] as const) {
        if (Math.sign(npv(a)) !== Math.sign(npv(b))) return [a, b];
      }
    }
    return undefined;
  };
  const found = bracket();
  if (!found) return null;
  let [low, high] = found;
  for (let i = 0; i < 200 && Math.abs(high - low) > 1e-13; i++) {
    const middle = (low + high) / 2;
    if (Math.sign(npv(middle)) === Math.sign(npv(low))) low = middle;
    else high = middle;
  }
  const rate = Math.expm1((low + high) / 2);
  return Number.isFinite(rate) ? new Dec(rate.toPrecision(15)).toDecimalPlaces(10) : null;
}
