/**
 * Performance over [from, to] (whole UTC days), from the books and daily valuations. Pure.
 *
 * Valuation: V(d) = cash + sum(quantity x price) at the end of day d, each asset at its latest stored
 * price at that moment (an asset without any stored price yet, at its latest trade price).
 *
 * Time-weighted return: each day's growth factor V(d) / (V(d-1) + F(d)), where F(d) is the day's net
 * external flow (deposits minus withdrawals, taken as arriving at the start of the day), chained over the
 * range: TWR = prod(factors) - 1. Between two flows the factors telescope to V(end) / (V(start) + F), so
 * this is the return of the sub-periods split at every external flow, linked. Dividends and fees are not
 * flows: they are the portfolio's own income and cost. Days with nothing invested (V(d-1) + F(d) <= 0)
 * have no return and are skipped.
 *
 * Money-weighted return: XIRR over -V(from-1) at the start, -F at each flow's day, +V(to) at the end.
 */
import type { PricePoint } from "../../db/repositories/prices.repository";
import { Dec, ZERO } from "../money/decimal";
import { Book, type BookRow, byExecution, type Effect, isEffective } from "./book";
import { type Flow, xirr } from "./xirr";

const DAY_MS = 86_400_000;

export interface Measurement {
  startValue: Dec;
  endValue: Dec;
  deposits: Dec;
  withdrawals: Dec;
  timeWeighted: Dec | null;
  moneyWeighted: Dec | null;
  realized: Dec;
  unrealized: Dec;
  dividends: Dec;
  fees: Dec;
}

/** Latest observation per asset: stored prices first, trade prices for assets with none stored yet. */
class Marks {
  private stored = new Map<string, Dec>();
  private traded = new Map<string, Dec>();

  observe(point: PricePoint): void {
    this.stored.set(point.assetId, new Dec(point.price));
  }
  trade(row: BookRow & { price: string | null }): void {
    if (row.assetId && row.price !== null) this.traded.set(row.assetId, new Dec(row.price));
  }
  value(book: Book): Dec {
    let total = book.cash;
    for (const [assetId, position] of book.positions) {
      const price = this.stored.get(assetId) ?? this.traded.get(assetId) ?? ZERO;
      total = total.add(position.quantity.mul(price));
    }
    return total;
  }
  unrealized(book: Book): Dec {
    return this.value(book)
      .sub(book.cash)
      .sub([...book.positions.values()].reduce((s, p) => s.add(p.cost), ZERO));
  }
}

/** `from` and `to` are UTC midnights; `rows` every transaction on the books, `prices` the closes. */
export function measure(
  rows: Array<BookRow & { price: string | null }>,
  prices: PricePoint[],
  from: Date,
  to: Date,
): Measurement {
  const transactions = rows.filter(isEffective).sort(byExecution);
  const points = [...prices].sort((a, b) => a.at.getTime() - b.at.getTime());
  const book = new Book();
  const marks = new Marks();
  let t = 0;
  let p = 0;
  const advance = (until: number) => {
    const effects: Effect[] = [];
    while (t < transactions.length && (transactions[t] as BookRow).executedAt.getTime() < until) {
      const row = transactions[t++] as BookRow & { price: string | null };
      marks.trade(row);
      effects.push(book.apply(row));
    }
    while (p < points.length && (points[p] as PricePoint).at.getTime() < until)
      marks.observe(points[p++] as PricePoint);
    return effects;
  };

  advance(from.getTime());
  const startValue = marks.value(book);
  const flows: Flow[] = [{ at: from, amount: startValue.neg() }];
  const sums = { deposits: ZERO, withdrawals: ZERO, realized: ZERO, dividends: ZERO, fees: ZERO };
  let previous = startValue;
  let factor = new Dec(1);
  let measured = false;
  for (let day = from.getTime(); day <= to.getTime(); day += DAY_MS) {
    let flow = ZERO;
    for (const effect of advance(day + DAY_MS)) {
      flow = flow.add(effect.flow);
      if (effect.flow.gt(0)) sums.deposits = sums.deposits.add(effect.flow);
      else sums.withdrawals = sums.withdrawals.sub(effect.flow);
      sums.realized = sums.realized.add(effect.realized);
      sums.dividends = sums.dividends.add(effect.dividend);
      sums.fees = sums.fees.add(effect.fees);
    }
    if (!flow.isZero()) flows.push({ at: new Date(day), amount: flow.neg() });
    const value = marks.value(book);
    const invested = previous.add(flow);
    if (invested.gt(0)) {
      factor = factor.mul(value.div(invested));
      measured = true;
    }
    previous = value;
  }
  flows.push({ at: new Date(to.getTime() + DAY_MS), amount: previous });
  return {
    ...sums,
    startValue,
    endValue: previous,
    timeWeighted: measured ? factor.sub(1) : null,
    moneyWeighted: xirr(flows),
    unrealized: marks.unrealized(book),
  };
}
