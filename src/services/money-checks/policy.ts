/**
 * A tenant's money-movement policy: what an unverified owner may do, how the check on every movement scores
 * (each rule's threshold and points) and where review and block begin, and what makes a currency transaction
 * report. Stored whole, one version per change (money_policies); a tenant that never set one has version 0,
 * the defaults below.
 */
import { z } from "@hono/zod-openapi";
import { DECIMAL_PATTERN } from "../money/decimal";

const Points = z.number().int().min(0).max(100);
const Amount = z.string().regex(DECIMAL_PATTERN, 'a positive decimal string such as "10000" or "0.5"');
const Minutes = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);

/** An IANA time zone the runtime knows (`Intl`), such as "America/New_York". */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as "America/New_York"');

const RulesSchema = z
  .object({
    /** Movements in the last hour, per customer, portfolio, network address or device, this one included. */
    velocity_count: z.object({ max: z.number().int().min(1).max(10_000), points: Points }).strict(),
    /** What moved in the last 24 hours in this movement's currency, per the same subjects, this one included. */
    velocity_amount: z.object({ max: Amount, points: Points }).strict(),
    /** This amount against the customer's own movements of the same kind over 90 days. */
    unusual_amount: z
      .object({ multiple: Amount, min_history: z.number().int().min(1).max(1000), points: Points })
      .strict(),
    /** A device or network address the customer (or the portfolio) never moved money from, given some history. */
    new_device: z.object({ points: Points }).strict(),
    new_ip: z.object({ points: Points }).strict(),
    /** The request comes from another country than the customer's. */
    foreign_country: z.object({ points: Points }).strict(),
    /** Another country than the customer's previous movement, within so few minutes. */
    impossible_travel: z.object({ minutes: Minutes, points: Points }).strict(),
    /** The owner's risk rating is high. */
    high_risk_customer: z.object({ points: Points }).strict(),
    /** The counterparty's name matches a party on the tenant's active sanctions list. */
    sanctioned_counterparty: z.object({ points: Points }).strict(),
  })
  .strict();

export const PolicySchema = z
  .object({
    /** Whether a portfolio whose owner's KYC is not verified may move money. */
    unverified_owners: z.enum(["refuse", "allow"]),
    /** Scores from here are held for review (posted pending until an analyst decides). */
    review_at: Points,
    /** Scores from here are refused. A blocklisted movement is refused whatever its score. */
    block_at: Points,
    rules: RulesSchema,
    ctr: z
      .object({
        /** Cash in (or out) over this in one business day makes a report. */
        threshold: Amount,
        currency: z.string().regex(/^[A-Z]{3}$/),
        /** Where the tenant's business day begins and ends. */
        time_zone: TimeZone,
        /** Days from the business day to the filing deadline. */
        due_days: z.number().int().min(1).max(90),
      })
      .strict(),
  })
  .strict()
  .refine((policy) => policy.review_at <= policy.block_at, {
    message: "review_at cannot exceed block_at",
    path: ["review_at"],
  });

export type MoneyPolicy = z.infer<typeof PolicySchema>;

/** FinCEN's CTR threshold is USD 10,000 in one business day; the rest are defaults a tenant tunes. */
export const DEFAULT_POLICY: MoneyPolicy = {
  unverified_owners: "refuse",
  // No one signal reaches review alone (blocklists aside): two together do, so a busy desk is not held for its
  // volume and a stolen credential moving money from elsewhere is.
  review_at: 50,
  block_at: 90,
  rules: {
    velocity_count: { max: 60, points: 25 },
    velocity_amount: { max: "1000000", points: 25 },
    unusual_amount: { multiple: "10", min_history: 5, points: 30 },
    new_device: { points: 10 },
    new_ip: { points: 5 },
    foreign_country: { points: 10 },
    impossible_travel: { minutes: 120, points: 45 },
    high_risk_customer: { points: 20 },
    // A potential match alone holds the movement for an analyst to clear; a confirmed party belongs on the blocklist.
    sanctioned_counterparty: { points: 60 },
  },
  ctr: { threshold: "10000", currency: "USD", time_zone: "America/New_York", due_days: 15 },
};

/** The policy in force: the newest stored version, or the defaults (version 0). */
export interface PolicyInForce {
  version: number;
  policy: MoneyPolicy;
}

export function policyInForce(row: { version: number; policy: unknown } | undefined): PolicyInForce {
  if (!row) return { version: 0, policy: DEFAULT_POLICY };
  // A rule added since the version was stored takes its default.
  return {
    version: row.version,
    policy: PolicySchema.parse(mergePolicy(DEFAULT_POLICY, row.policy as PolicyChange)),
  };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type PolicyChange = DeepPartial<MoneyPolicy>;

/** A change applied over the policy in force: what it names replaced, the rest kept. */
export function mergePolicy(base: MoneyPolicy, change: PolicyChange): unknown {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [key, value] of Object.entries(b as Record<string, unknown>)) {
        out[key] = merge((a as Record<string, unknown>)[key], value);
      }
      return out;
    }
    return b;
  };
  return merge(base, change);
}
