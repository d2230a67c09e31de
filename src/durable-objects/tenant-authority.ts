import { DurableObject } from "cloudflare:workers";
import type { TenantQuotas } from "../db/schema";
import type { Bindings } from "../env";
import type { ModelRows } from "../services/risk/model-registry";
import { grantOf } from "../services/risk/quota";

/** A tenant's part of a caller's standing, as the edge keeps a copy of it. */
export interface TenantFacts {
  status: "active" | "suspended";
  quotas: TenantQuotas;
}

/** Rows of the day's inference allowance asked for by one prediction or one bulk chunk. */
export interface InferenceTake {
  /** The UTC day (YYYY-MM-DD) the rows count against. */
  day: string;
  rows: number;
  /** The platform's daily allowance, for a tenant without a quota of its own. */
  defaultLimit: number;
  /** Grant what is left (a bulk chunk scores that many) rather than all or nothing. */
  partial?: boolean;
  /** A take retried under the same key gets the first grant again (a redelivered bulk chunk). */
  key?: string;
}

/** A live API key of the tenant as the edge keeps a copy of it (times in epoch milliseconds). */
export interface KeyFacts {
  id: string;
  scopes: string[];
  organizationId: string | null;
  expiresAt: number | null;
}

/** What the object knows and, when a take was asked and could be judged, what it granted. */
export interface Consultation {
  /** The generation a copy read from the database now must be stored under (`learn`). */
  generation: number;
  /** The UTC day the take counted against. */
  day?: string | undefined;
  /** The tenant's status and quotas; absent when the object holds no copy. */
  tenant?: TenantFacts | undefined;
  /** The tenant's own versions and activation of the model asked about; absent when no copy is held. */
  models?: ModelRows | undefined;
  /** The API key asked about (by its hash), when the object holds it; absent when it holds no copy. */
  key?: KeyFacts | undefined;
  /** Whether the key's last use is older than a minute, so the database's record of it is due (it is now). */
  keyUseDue?: boolean | undefined;
  /** Rows granted by the take asked for; absent when it could not be judged (a copy missing). */
  granted?: number | undefined;
  /** The day's rows counted so far (after the take). */
  used: number;
}

/** What a request that found no copy read from the database, for the object to keep. */
export interface TenantKnowledge {
  tenant: TenantFacts;
  model?: { name: string; rows: ModelRows } | undefined;
  /** The day's count as the database records it (a floor for the object's own count). */
  used?: { day: string; rows: number } | undefined;
  /** Until when the copy may be used (epoch seconds). */
  until: number;
}

const FACTS = "facts";
const MODEL = "model:";
const USED = "used:";
const GRANT = "grant:";
const GENERATION = "generation";
const KEY = "key:";
const KEY_USED = "keyused:";

interface Known<T> {
  value: T;
  until: number;
}

/**
 * One tenant's facts that a prediction needs (`idFromName(tenantId)`), so it can be answered without
 * waiting on the database: the tenant's status and quotas, its own model versions and activations, and the
 * day's inference count - the one counter single predictions and bulk chunks both take from, so concurrent
 * requests can never overspend it. The copies are filled by a request that found none (`learn`), dropped
 * on every change (`forget`, sent by the request that changed them and, should that fail, by the cron from
 * the database's outbox) and never used past their bound; a fill read before a change carries an older
 * generation and is refused.
 */
export class TenantAuthority extends DurableObject<Bindings> {
  private alarmSet = false;

  /**
   * The copies held for `model` and the API key `key` (a secret's hash), if named, and - when they suffice -
   * the take asked for.
   */
  async consult(request: {
    day: string;
    model?: string;
    key?: string;
    take?: InferenceTake;
  }): Promise<Consultation> {
    const kv = this.ctx.storage.kv;
    const now = Date.now() / 1000;
    const fresh = <T>(known: Known<T> | undefined) => (known && now < known.until ? known.value : undefined);
    const tenant = fresh(kv.get<Known<TenantFacts>>(FACTS));
    const models = request.model ? fresh(kv.get<Known<ModelRows>>(MODEL + request.model)) : undefined;
    const key = request.key ? fresh(kv.get<Known<KeyFacts>>(KEY + request.key)) : undefined;
    const generation = kv.get<number>(GENERATION) ?? 0;
    // A key the object holds no copy of is read by the request; its take is given back if it is refused.
    const judged = tenant && (request.model === undefined || models !== undefined);
    const counted = request.take && judged ? await this.take(tenant, request.take) : undefined;
    return {
      generation,
      day: request.day,
      tenant,
      models,
      key,
      keyUseDue: key ? this.keyUseDue(key.id, now) : undefined,
      granted: counted?.granted,
      used: counted?.used ?? kv.get<number>(USED + request.day) ?? 0,
    };
  }

  /**
   * Keeps what a request read after `consult` found no copy - unless a change came in between (the
   * generation moved on) - and makes the take it could not judge then, by the facts just read.
   */
  async learn(generation: number, knowledge: TenantKnowledge, take?: InferenceTake): Promise<Consultation> {
    const kv = this.ctx.storage.kv;
    const current = kv.get<number>(GENERATION) ?? 0;
    if (current === generation) {
      kv.put<Known<TenantFacts>>(FACTS, { value: knowledge.tenant, until: knowledge.until });
      if (knowledge.model) {
        kv.put<Known<ModelRows>>(MODEL + knowledge.model.name, {
          value: knowledge.model.rows,
          until: knowledge.until,
        });
      }
    }
    if (knowledge.used) {
      const key = USED + knowledge.used.day;
      kv.put(key, Math.max(kv.get<number>(key) ?? 0, knowledge.used.rows));
    }
    const counted = take ? await this.take(knowledge.tenant, take) : undefined;
    const day = take?.day ?? knowledge.used?.day;
    return {
      generation: current,
      day,
      tenant: knowledge.tenant,
      models: knowledge.model?.rows,
      granted: counted?.granted,
      used: counted?.used ?? (day ? (kv.get<number>(USED + day) ?? 0) : 0),
    };
  }

  /**
   * Keeps a live API key read from the database (by its secret's hash), with its tenant's facts read in the
   * same statement, unless a change came in between; `usedAt` (epoch seconds) is when the database last
   * recorded its use.
   */
  learnKey(
    generation: number,
    hash: string,
    key: KeyFacts,
    tenant: TenantFacts,
    until: number,
    usedAt: number,
  ): boolean {
    const kv = this.ctx.storage.kv;
    kv.put(KEY_USED + key.id, Math.max(kv.get<number>(KEY_USED + key.id) ?? 0, usedAt));
    if ((kv.get<number>(GENERATION) ?? 0) !== generation) return false;
    kv.put<Known<KeyFacts>>(KEY + hash, { value: key, until });
    kv.put<Known<TenantFacts>>(FACTS, { value: tenant, until });
    return true;
  }

  /** Gives back rows a request took but did not score (it was refused after its take). */
  release(day: string, rows: number): void {
    const kv = this.ctx.storage.kv;
    const key = USED + day;
    kv.put(key, Math.max(0, (kv.get<number>(key) ?? 0) - rows));
  }

  /** Drops every copy: the tenant's status, quotas or models changed. */
  forget(): void {
    const kv = this.ctx.storage.kv;
    this.ctx.storage.transactionSync(() => {
      kv.put(GENERATION, (kv.get<number>(GENERATION) ?? 0) + 1);
      kv.delete(FACTS);
      for (const prefix of [MODEL, KEY]) {
        for (const [key] of [...kv.list({ prefix })]) kv.delete(key);
      }
    });
  }

  /** After midnight (UTC): the counts and grants of earlier days go. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    const kv = this.ctx.storage.kv;
    const today = new Date().toISOString().slice(0, 10);
    for (const prefix of [USED, GRANT]) {
      for (const [key] of [...kv.list({ prefix })]) {
        if (key.slice(prefix.length, prefix.length + 10) < today) kv.delete(key);
      }
    }
  }

  /** Whether a minute has passed since the key's last recorded use; if so, now is its last use. */
  private keyUseDue(id: string, nowSeconds: number): boolean {
    const kv = this.ctx.storage.kv;
    const last = kv.get<number>(KEY_USED + id) ?? 0;
    if (nowSeconds - last < 60) return false;
    kv.put(KEY_USED + id, nowSeconds);
    return true;
  }

  private async take(tenant: TenantFacts, take: InferenceTake): Promise<{ granted: number; used: number }> {
    const kv = this.ctx.storage.kv;
    const usedKey = USED + take.day;
    const used = kv.get<number>(usedKey) ?? 0;
    if (tenant.status !== "active") return { granted: 0, used };
    const grantKey = take.key === undefined ? undefined : `${GRANT}${take.day}:${take.key}`;
    const earlier = grantKey === undefined ? undefined : kv.get<number>(grantKey);
    if (earlier !== undefined) return { granted: earlier, used };
    const left = Math.max(0, limitOf(tenant, take.defaultLimit) - used);
    const granted = grantOf(take, left);
    kv.put(usedKey, used + granted);
    if (grantKey !== undefined) kv.put(grantKey, granted);
    await this.pruneAtMidnight();
    return { granted, used: used + granted };
  }

  private async pruneAtMidnight(): Promise<void> {
    if (this.alarmSet) return;
    this.alarmSet = true;
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    const now = new Date();
    await this.ctx.storage.setAlarm(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 0, 5),
    );
  }
}

const limitOf = (tenant: TenantFacts, defaultLimit: number) =>
  tenant.quotas.inferenceRowsPerDay ?? defaultLimit;
