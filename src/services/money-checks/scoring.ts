/**
 * The check on a money movement: from the facts read with the movement's own decision (its `signals`: no round
 * trip of its own) and the tenant's policy, a score from 0 to 100 with the reasons that make it up, and a
 * decision - allow, review (posted pending until an analyst decides) or block. Pure: the same signals and policy
 * always give the same result, which is how a policy change is replayed over stored checks (the dry run).
 */
import { Dec } from "../money/decimal";
import type { MoneyPolicy } from "./policy";

export type Decision = "allow" | "review" | "block";

/** Counted over one subject's checks before this movement. */
export interface Velocity {
  /** Checks in the last hour (blocked ones included: attempts count). */
  count_1h: number;
  /** What moved (not blocked) in the last 24 hours, in this movement's currency. */
  amount_24h: string;
}

/** What a movement is checked on, as stored with the check. */
export interface Signals {
  type: "buy" | "sell" | "deposit" | "withdrawal";
  amount: string;
  currency: string;
  /** The request's country (Cloudflare's metadata), if known. */
  country: string | null;
  ip: string | null;
  device: string | null;
  customer: { id: string; country: string; risk_rating: string; kyc_status: string } | null;
  velocity: {
    customer: Velocity | null;
    portfolio: Velocity;
    ip: Velocity | null;
    device: Velocity | null;
  };
  /** The customer's (else the portfolio's) posted movements of this type and currency over 90 days. */
  history: { count: number; mean: string | null; max: string | null };
  /** Whether the customer (else the portfolio) moved money before from this device and address (180 days). */
  seen: { any: boolean; device: boolean; ip: boolean };
  /** The customer's (else the portfolio's) previous movement with a known country. */
  last: { country: string; at: string } | null;
  /** Blocklist entries that match (kind and value). */
  blocklisted: Array<{ kind: string; value: string }>;
  /** Parties on the tenant's active sanctions list the counterparty's name matched (none: no counterparty or list). */
  sanctions?:
    | Array<{ list_id: string; uid: number; name: string; programs: string[]; score: number }>
    | undefined;
  /** When the movement was checked. */
  at: string;
}

export interface Reason {
  code: string;
  points: number;
  detail: string;
}

export interface CheckResult {
  score: number;
  decision: Decision;
  reasons: Reason[];
}

const SUBJECTS = ["customer", "portfolio", "ip", "device"] as const;

/** Scores a movement's signals under a policy. */
export function scoreMovement(signals: Signals, policy: MoneyPolicy): CheckResult {
  const { rules } = policy;
  const reasons: Reason[] = [];
  const amount = new Dec(signals.amount);

  for (const code of blocklistReasons(signals))
    reasons.push({ code: "blocklisted", points: 100, detail: code });

  const countOver = SUBJECTS.filter((subject) => {
    const v = signals.velocity[subject];
    return v !== null && v.count_1h + 1 > rules.velocity_count.max;
  });
  if (countOver.length > 0) {
    reasons.push({
      code: "velocity_count",
      points: rules.velocity_count.points,
      detail: `More than ${rules.velocity_count.max} movements in an hour by ${countOver.join(", ")}.`,
    });
  }
  const amountOver = SUBJECTS.filter((subject) => {
    const v = signals.velocity[subject];
    return v !== null && new Dec(v.amount_24h).plus(amount).gt(rules.velocity_amount.max);
  });
  if (amountOver.length > 0) {
    reasons.push({
      code: "velocity_amount",
      points: rules.velocity_amount.points,
      detail: `More than ${rules.velocity_amount.max} ${signals.currency} in 24 hours by ${amountOver.join(", ")}.`,
    });
  }
  const { history } = signals;
  if (history.count >= rules.unusual_amount.min_history && history.mean !== null) {
    const limit = new Dec(history.mean).times(rules.unusual_amount.multiple);
    if (amount.gt(limit)) {
      reasons.push({
        code: "unusual_amount",
        points: rules.unusual_amount.points,
        detail: `${signals.amount} is over ${rules.unusual_amount.multiple} times the usual ${new Dec(history.mean).toDecimalPlaces(2).toFixed()} (${history.count} earlier ${signals.type}s).`,
      });
    }
  }
  if (signals.seen.any && signals.device !== null && !signals.seen.device) {
    reasons.push({
      code: "new_device",
      points: rules.new_device.points,
      detail: "A device not seen before.",
    });
  }
  if (signals.seen.any && signals.ip !== null && !signals.seen.ip) {
    reasons.push({
      code: "new_ip",
      points: rules.new_ip.points,
      detail: "A network address not seen before.",
    });
  }
  const { customer, country, last } = signals;
  if (customer && country && country !== customer.country) {
    reasons.push({
      code: "foreign_country",
      points: rules.foreign_country.points,
      detail: `From ${country}; the customer's country is ${customer.country}.`,
    });
  }
  if (country && last && last.country !== country) {
    const minutes = (Date.parse(signals.at) - Date.parse(last.at)) / 60_000;
    if (minutes < rules.impossible_travel.minutes) {
      reasons.push({
        code: "impossible_travel",
        points: rules.impossible_travel.points,
        detail: `From ${country} ${Math.max(0, Math.round(minutes))} minutes after a movement from ${last.country}.`,
      });
    }
  }
  const sanctioned = signals.sanctions ?? [];
  if (sanctioned.length > 0) {
    const best = sanctioned[0] as NonNullable<Signals["sanctions"]>[number];
    reasons.push({
      code: "sanctioned_counterparty",
      points: rules.sanctioned_counterparty.points,
      detail: `The counterparty matches ${best.name} (${best.programs.join(", ") || "listed"}; score ${best.score})${sanctioned.length > 1 ? ` and ${sanctioned.length - 1} other listed parties` : ""}.`,
    });
  }
  if (customer?.risk_rating === "high") {
    reasons.push({
      code: "high_risk_customer",
      points: rules.high_risk_customer.points,
      detail: "The customer's risk rating is high.",
    });
  }

  const score = Math.min(
    100,
    reasons.reduce((sum, reason) => sum + reason.points, 0),
  );
  const blocked = reasons.some((reason) => reason.code === "blocklisted");
  const decision: Decision =
    blocked || score >= policy.block_at ? "block" : score >= policy.review_at ? "review" : "allow";
  return { score, decision, reasons };
}

function blocklistReasons(signals: Signals): string[] {
  return signals.blocklisted.map((entry) => `The ${entry.kind} ${entry.value} is on the tenant's blocklist.`);
}
