/**
 * Monitoring after the fact: scenarios over a customer's settled cash movements (across all its portfolios), as
 * transaction-monitoring systems run them - each hit names the scenario, the customer, the transactions that make
 * it and why. Pure: the run reads the movements (one round trip), finds the hits here, and writes them as alerts
 * (one batch); the same movements always give the same hits, and a hit is identified by its scenario and
 * transactions, so running a window again adds nothing.
 *
 * The scenarios and their defaults (amounts in the CTR's currency, `threshold` the CTR's):
 * - structuring: two or more deposits within 7 days, each just under the threshold (from 80% of it) - cash split to
 *   stay below the report line, across days or portfolios;
 * - rapid_in_out: a deposit of at least 10% of the threshold taken out again (90% of it or more) within 48 hours;
 * - round_amounts: three or more movements in 30 days of at least 1,000 in whole thousands;
 * - dormant_then_active: a customer with no movement for 180 days moving at least half the threshold within 7 days;
 * - fan_in_out: five or more deposits each under 10% of the threshold within 14 days, then within 7 days of the
 *   last a withdrawal of at least 80% of their sum.
 */
import { Dec } from "../money/decimal";

export interface Movement {
  id: string;
  customerId: string;
  type: "deposit" | "withdrawal";
  amount: string;
  executedAt: Date;
}

export const SCENARIOS = [
  "structuring",
  "rapid_in_out",
  "round_amounts",
  "dormant_then_active",
  "fan_in_out",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Hit {
  scenario: Scenario;
  customerId: string;
  transactionIds: string[];
  /** The total the hit's transactions move. */
  amount: string;
  reasons: Array<{ code: string; detail: string }>;
  /** When its last transaction was executed. */
  at: Date;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The hits among one window's movements; `lastBefore` is each customer's latest movement before them (dormancy). */
export function findHits(
  movements: Movement[],
  options: { threshold: string; currency: string; lastBefore: Map<string, Date | null> },
): Hit[] {
  const byCustomer = new Map<string, Movement[]>();
  for (const m of movements) {
    const list = byCustomer.get(m.customerId) ?? [];
    list.push(m);
    byCustomer.set(m.customerId, list);
  }
  const threshold = new Dec(options.threshold);
  const hits: Hit[] = [];
  for (const [customerId, list] of byCustomer) {
    list.sort((a, b) => a.executedAt.getTime() - b.executedAt.getTime() || a.id.localeCompare(b.id));
    const ctx = { customerId, threshold, currency: options.currency };
    hits.push(
      ...structuring(list, ctx),
      ...rapidInOut(list, ctx),
      ...roundAmounts(list, ctx),
      ...dormantThenActive(list, ctx, options.lastBefore.get(customerId) ?? null),
      ...fanInOut(list, ctx),
    );
  }
  return hits;
}

interface Ctx {
  customerId: string;
  threshold: Dec;
  currency: string;
}

const total = (list: Movement[]) => list.reduce((sum, m) => sum.plus(m.amount), new Dec(0));
const money = (value: Dec, currency: string) => `${value.toFixed(2)} ${currency}`;

function hit(scenario: Scenario, ctx: Ctx, list: Movement[], detail: string): Hit {
  return {
    scenario,
    customerId: ctx.customerId,
    transactionIds: list.map((m) => m.id),
    amount: total(list).toFixed(),
    reasons: [{ code: scenario, detail }],
    at: (list[list.length - 1] as Movement).executedAt,
  };
}

/** Maximal runs: each movement starts a window unless an earlier window already took it. */
function windows(list: Movement[], span: number, keep: (m: Movement) => boolean): Movement[][] {
  const kept = list.filter(keep);
  const runs: Movement[][] = [];
  let i = 0;
  while (i < kept.length) {
    const start = (kept[i] as Movement).executedAt.getTime();
    const run = kept.slice(i).filter((m) => m.executedAt.getTime() - start <= span);
    runs.push(run);
    i += Math.max(1, run.length);
  }
  return runs;
}

function structuring(list: Movement[], ctx: Ctx): Hit[] {
  const floor = ctx.threshold.times("0.8");
  const under = (m: Movement) =>
    m.type === "deposit" && new Dec(m.amount).gte(floor) && new Dec(m.amount).lt(ctx.threshold);
  return windows(list, 7 * DAY, under)
    .filter((run) => run.length >= 2)
    .map((run) =>
      hit(
        "structuring",
        ctx,
        run,
        `${run.length} deposits within 7 days, each just under the ${money(ctx.threshold, ctx.currency)} report threshold (${money(total(run), ctx.currency)} in all).`,
      ),
    );
}

function rapidInOut(list: Movement[], ctx: Ctx): Hit[] {
  const hits: Hit[] = [];
  const used = new Set<string>();
  const minimum = ctx.threshold.times("0.1");
  for (const deposit of list) {
    if (deposit.type !== "deposit" || new Dec(deposit.amount).lt(minimum) || used.has(deposit.id)) continue;
    const until = deposit.executedAt.getTime() + 48 * HOUR;
    const out = list.filter(
      (m) =>
        m.type === "withdrawal" &&
        !used.has(m.id) &&
        m.executedAt.getTime() >= deposit.executedAt.getTime() &&
        m.executedAt.getTime() <= until,
    );
    if (out.length === 0 || total(out).lt(new Dec(deposit.amount).times("0.9"))) continue;
    for (const m of [deposit, ...out]) used.add(m.id);
    hits.push(
      hit(
        "rapid_in_out",
        ctx,
        [deposit, ...out],
        `${money(new Dec(deposit.amount), ctx.currency)} deposited and ${money(total(out), ctx.currency)} withdrawn within 48 hours.`,
      ),
    );
  }
  return hits;
}

function roundAmounts(list: Movement[], ctx: Ctx): Hit[] {
  const round = (m: Movement) => {
    const amount = new Dec(m.amount);
    return amount.gte(1000) && amount.mod(1000).isZero();
  };
  return windows(list, 30 * DAY, round)
    .filter((run) => run.length >= 3)
    .map((run) =>
      hit("round_amounts", ctx, run, `${run.length} movements in whole thousands within 30 days.`),
    );
}

function dormantThenActive(list: Movement[], ctx: Ctx, lastBefore: Date | null): Hit[] {
  const first = list[0];
  if (!first || !lastBefore) return [];
  const idle = first.executedAt.getTime() - lastBefore.getTime();
  if (idle < 180 * DAY) return [];
  const burst = list.filter((m) => m.executedAt.getTime() - first.executedAt.getTime() <= 7 * DAY);
  if (total(burst).lt(ctx.threshold.times("0.5"))) return [];
  return [
    hit(
      "dormant_then_active",
      ctx,
      burst,
      `${Math.floor(idle / DAY)} days without a movement, then ${money(total(burst), ctx.currency)} within 7 days.`,
    ),
  ];
}

function fanInOut(list: Movement[], ctx: Ctx): Hit[] {
  const small = ctx.threshold.times("0.1");
  const isSmall = (m: Movement) => m.type === "deposit" && new Dec(m.amount).lt(small);
  const hits: Hit[] = [];
  for (const run of windows(list, 14 * DAY, isSmall)) {
    if (run.length < 5) continue;
    const last = (run[run.length - 1] as Movement).executedAt.getTime();
    const sum = total(run);
    const large = list.find(
      (m) =>
        m.type === "withdrawal" &&
        m.executedAt.getTime() >= last &&
        m.executedAt.getTime() <= last + 7 * DAY &&
        new Dec(m.amount).gte(sum.times("0.8")),
    );
    if (!large) continue;
    hits.push(
      hit(
        "fan_in_out",
        ctx,
        [...run, large],
        `${run.length} small deposits (${money(sum, ctx.currency)}) within 14 days, then one withdrawal of ${money(new Dec(large.amount), ctx.currency)}.`,
      ),
    );
  }
  return hits;
}
