/**
 * The ledger's invariants under random sequences of operations through the API. A model predicts every
 * outcome (accepted or refused, and the balances after); after each operation the database must show:
 * every transaction balancing in every unit, cached balances equal to the sum of their postings, nothing
 * negative that may not be, reserves equal to what pending transactions hold, and holdings that agree
 * with the ledger and the model.
 */
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../src/services/money/decimal";
import {
  type Asset,
  createAsset,
  createPortfolio,
  holdings,
  postTransaction,
  type TransactionView,
  transition,
} from "./portfolio-fixtures";
import { addOrganization, createTenant, query } from "./tenancy-fixtures";

const money = (cents: number) => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
const cash = fc.integer({ min: 1, max: 2_000_000 }).map(money);
const quantity = fc.integer({ min: 1, max: 3_000 }).map(money);
const price = fc.integer({ min: 100, max: 50_000 }).map(money);
const fees = fc.integer({ min: 0, max: 2_000 }).map(money);

const command = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("deposit" as const), amount: cash, pending: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("withdrawal" as const, "fee" as const, "dividend" as const),
      amount: cash,
      pending: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom("buy" as const, "sell" as const),
      asset: fc.nat(1),
      quantity,
      price,
      fees,
      pending: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom("settle" as const, "cancel" as const, "reverse" as const),
      pick: fc.nat(),
    }),
  },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

/** What a transaction does to cash and positions once settled, and what it holds while pending. */
interface Effect {
  id: string;
  cash: Dec;
  units: Map<string, Dec>;
  holdCash: Dec;
  holdUnits: Map<string, Dec>;
}

class Model {
  cash = new Dec(0);
  cashReserved = new Dec(0);
  units = new Map<string, Dec>();
  unitsReserved = new Map<string, Dec>();
  pending: Effect[] = [];
  reversible: Effect[] = [];

  availableCash = () => this.cash.sub(this.cashReserved);
  availableUnits = (asset: string) =>
    (this.units.get(asset) ?? new Dec(0)).sub(this.unitsReserved.get(asset) ?? 0);
  covers(effect: Effect): boolean {
    if (effect.holdCash.gt(this.availableCash())) return false;
    return [...effect.holdUnits].every(([asset, q]) => q.lte(this.availableUnits(asset)));
  }
  hold(effect: Effect, sign: 1 | -1) {
    this.cashReserved = this.cashReserved.add(effect.holdCash.mul(sign));
    for (const [asset, q] of effect.holdUnits)
      this.unitsReserved.set(asset, (this.unitsReserved.get(asset) ?? new Dec(0)).add(q.mul(sign)));
  }
  apply(effect: Effect, sign: 1 | -1) {
    this.cash = this.cash.add(effect.cash.mul(sign));
    for (const [asset, q] of effect.units)
      this.units.set(asset, (this.units.get(asset) ?? new Dec(0)).add(q.mul(sign)));
  }
}

/** The effect of a new transaction, as the posting rules define it (amounts rounded half-even to cents). */
function effectOf(c: Exclude<Command, { pick: number }>, assets: Asset[]): Effect {
  const none = { id: "", units: new Map<string, Dec>(), holdUnits: new Map<string, Dec>() };
  if ("quantity" in c) {
    const asset = (assets[c.asset] as Asset).id;
    const gross = new Dec(c.quantity).mul(c.price).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
    const q = new Dec(c.quantity);
    const cashDelta = c.kind === "buy" ? gross.add(c.fees).neg() : gross.sub(c.fees);
    return {
      ...none,
      cash: cashDelta,
      units: new Map([[asset, c.kind === "buy" ? q : q.neg()]]),
      holdCash: cashDelta.lt(0) ? cashDelta.neg() : new Dec(0),
      holdUnits: c.kind === "sell" ? new Map([[asset, q]]) : new Map(),
    };
  }
  const amount = new Dec(c.amount);
  const out = c.kind === "withdrawal" || c.kind === "fee";
  return { ...none, cash: out ? amount.neg() : amount, holdCash: out ? amount : new Dec(0) };
}

async function checkInvariants(portfolioId: string, model: Model, assets: Asset[], token: string) {
  const unbalanced =
    await query(sql`select transaction_id, unit from ledger_postings where portfolio_id = ${portfolioId}
    group by transaction_id, unit having sum(amount) <> 0`);
  expect(unbalanced, "every transaction balances in every unit").toEqual([]);
  const drifted = await query(sql`select a.id from ledger_accounts a
    left join (select account_id, sum(amount) as total from ledger_postings where portfolio_id = ${portfolioId} group by account_id) p
      on p.account_id = a.id
    where a.portfolio_id = ${portfolioId} and a.balance <> coalesce(p.total, 0)`);
  expect(drifted, "cached balances equal the sum of postings").toEqual([]);
  const negative =
    await query(sql`select kind, balance, reserved from ledger_accounts where portfolio_id = ${portfolioId}
    and kind in ('cash', 'position') and (balance < 0 or reserved < 0 or balance - reserved < 0)`);
  expect(negative, "nothing held is negative or over-reserved").toEqual([]);

  const ledger = await query<{ unit: string; balance: string }>(
    sql`select unit, balance::text from ledger_accounts where portfolio_id = ${portfolioId} and kind = 'position'`,
  );
  const held = await holdings(token, portfolioId);
  expect(held.cash.balance, "cash").toBe(model.cash.toFixed(2));
  expect(held.cash.reserved, "cash reserved").toBe(model.cashReserved.toFixed(2));
  for (const asset of assets) {
    const position = held.positions.find((p) => p.asset_id === asset.id);
    const expected = model.units.get(asset.id) ?? new Dec(0);
    const inLedger = ledger.find((row) => row.unit === asset.id)?.balance ?? "0";
    expect(new Dec(position?.quantity ?? 0).eq(expected), `${asset.symbol} quantity`).toBe(true);
    expect(new Dec(inLedger).eq(expected), `${asset.symbol} in the ledger`).toBe(true);
    expect(
      new Dec(position?.reserved ?? 0).eq(model.unitsReserved.get(asset.id) ?? 0),
      `${asset.symbol} reserved`,
    ).toBe(true);
    if (position) expect(new Dec(position.cost_basis).gte(0)).toBe(true);
  }
}

async function run(commands: Command[], world: { token: string; orgId: string; assets: Asset[] }) {
  const { token, assets } = world;
  const portfolio = await createPortfolio(token, { organization_id: world.orgId });
  const model = new Model();
  for (const c of commands) {
    if ("pick" in c) {
      const pool = c.kind === "reverse" ? model.reversible : model.pending;
      const target = pool[c.pick % Math.max(pool.length, 1)];
      if (!target) continue;
      const response = await transition(token, portfolio.id, target.id, c.kind);
      if (c.kind === "reverse") {
        // Whether a reversal fits the past too is for the server; it must refuse one that overdraws now.
        const inverse = {
          ...target,
          holdCash: target.cash.gt(0) ? target.cash : new Dec(0),
          holdUnits: new Map([...target.units].filter(([, q]) => q.gt(0))),
        };
        if (!model.covers(inverse)) expect(response.status).toBe(422);
        expect([201, 422]).toContain(response.status);
        if (response.status === 201) {
          model.apply(target, -1);
          model.reversible = model.reversible.filter((e) => e !== target);
        }
      } else {
        expect(response.status, await response.clone().text()).toBe(200);
        model.hold(target, -1);
        if (c.kind === "settle") {
          model.apply(target, 1);
          model.reversible.push(target);
        }
        model.pending = model.pending.filter((e) => e !== target);
      }
    } else {
      const effect = effectOf(c, assets);
      const body =
        "quantity" in c
          ? {
              type: c.kind,
              asset_id: (assets[c.asset] as Asset).id,
              quantity: c.quantity,
              price: c.price,
              fees: c.fees,
            }
          : { type: c.kind, amount: c.amount };
      const response = await postTransaction(token, portfolio.id, { ...body, settle: !c.pending });
      const accepted = model.covers(effect);
      expect(response.status, `${JSON.stringify(c)}: ${await response.clone().text()}`).toBe(
        accepted ? 201 : 422,
      );
      if (accepted) {
        effect.id = (await response.json<TransactionView>()).id;
        if (c.pending) {
          model.hold(effect, 1);
          model.pending.push(effect);
        } else {
          model.apply(effect, 1);
          model.reversible.push(effect);
        }
      }
    }
    await checkInvariants(portfolio.id, model, assets, token);
  }
}

describe("the ledger, under random operations", () => {
  it("keeps every invariant after every operation", { timeout: 240_000 }, async () => {
    const tenant = await createTenant("ledger");
    const org = await addOrganization(tenant);
    const assets = [
      await createAsset(tenant, { quantity_scale: 2 }),
      await createAsset(tenant, { quantity_scale: 2 }),
    ];
    const world = { token: tenant.admin.token, orgId: org.id, assets };
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), (commands) =>
        run(commands, world),
      ),
      { numRuns: 15, seed: 20_260_501 },
    );
  });
});
