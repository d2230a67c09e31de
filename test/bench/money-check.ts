/**
 * The money check's own work in the Worker, per movement: the device fingerprint (SHA-256 of the client's
 * traits), the scoring of the facts read with the movement under the policy, and the check's row and audit event
 * as the write carries them (serialized). The facts themselves ride in the movement's read batch - no round
 * trip of their own - so this is what the check adds to a movement's server time in the Worker. Timed in this
 * process (V8, as workerd), over facts that fire most rules, so every branch is taken.
 */
import type { MovementFacts } from "../../src/db/repositories/money.repository";
import { Dec } from "../../src/services/money/decimal";
import { checkAudit, checkMovement, checkRow, moverOf } from "../../src/services/money-checks/check";
import { DEFAULT_POLICY } from "../../src/services/money-checks/policy";
import type { TenantContext } from "../../src/services/tenancy/context";

export interface MoneyCheckReport {
  checks: number;
  /** Median of five runs, microseconds per check. */
  us_per_check: number;
}

const facts: MovementFacts = {
  customer: {
    id: crypto.randomUUID(),
    country: "US",
    risk_rating: "high",
    kyc_status: "verified",
    version: 3,
  },
  velocity: {
    customer: { count_1h: 75, amount_24h: "990000.00" },
    portfolio: { count_1h: 12, amount_24h: "25000.00" },
    ip: { count_1h: 3, amount_24h: "900.00" },
    device: { count_1h: 61, amount_24h: "1200000.00" },
  },
  history: { count: 40, mean: "1250.50", max: "9000.00" },
  seen: { any: true, device: false, ip: false },
  last: { country: "US", at: new Date(Date.now() - 20 * 60_000).toISOString() },
  blocklisted: [],
};

export async function measureMoneyCheck(checks = 20_000): Promise<MoneyCheckReport> {
  const ctx = {
    client: { ip: "203.0.113.9", userAgent: "FinEdgeBench/1.0", country: "RU", city: null, asn: 64500 },
    actor: { type: "user", id: crypto.randomUUID() },
  } as unknown as TenantContext;
  const policy = { version: 4, policy: DEFAULT_POLICY };
  const once = async () => {
    const mover = await moverOf(ctx);
    const check = checkMovement(facts, policy, {
      type: "withdrawal",
      amount: new Dec("25000.00"),
      currency: "USD",
      mover,
      at: new Date(),
    });
    return JSON.stringify({ check: checkRow(check, mover, null, "acme"), audit: checkAudit(check, null) })
      .length;
  };
  for (let i = 0; i < 2_000; i++) await once();
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    for (let i = 0; i < checks; i++) await once();
    runs.push(((performance.now() - started) * 1000) / checks);
  }
  runs.sort((a, b) => a - b);
  return { checks, us_per_check: Math.round((runs[2] as number) * 10) / 10 };
}
