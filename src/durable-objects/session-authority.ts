import { DurableObject } from "cloudflare:workers";
import type { OrgRole, Role } from "../db/schema";
import type { Bindings } from "../env";

/** The claims of an access token that revocation is decided on (`iat` in epoch seconds, may be fractional). */
export interface TokenClaims {
  jti: string;
  sid: string;
  iat: number;
}

/** Why a token is refused: its own id, its session, or a revocation of everything issued before. */
export type RevocationReason = "token_revoked" | "session_revoked" | "all_revoked";

/** The factor a step-up was proven with: the strongest the user held at the time. */
export type StepUpFactor = "password" | "totp" | "backup_code";

/** A recent re-authentication of one session: until when it counts (epoch seconds), and with what. */
export interface StepUpProof {
  until: number;
  factor: StepUpFactor;
}

/** A user's standing in its tenant as the edge keeps a copy of it (the user's part of a standing row). */
export interface UserFacts {
  role: Role;
  status: "active" | "disabled" | "expired";
  memberships: { organizationId: string; role: OrgRole }[];
}

/**
 * The answer of `SessionAuthority.check`; a valid token carries its session's live step-up proof, if any,
 * and - when asked for - the user's standing if this object holds a copy, and the generation a copy read now
 * must be stored under (`learnStanding`).
 */
export type TokenCheck =
  | { valid: true; stepUp?: StepUpProof; standing?: UserFacts | undefined; generation?: number }
  | { valid: false; reason: RevocationReason };

/** "Every token issued before `after` is dead", except those of the session that asked for it. */
interface AllRevoked {
  after: number;
  exceptSessionId?: string;
}

// Storage keys; the three prefixes hold expiry times (epoch seconds; a step-up proof's is its `until`) and
// are pruned once those pass.
const TOKEN = "token:";
const SESSION = "session:";
const STEP_UP = "stepup:";
const ALL = "all";
const STANDING = "standing";
const GENERATION = "generation";

/** A copy of the user's standing and until when it may be used (epoch seconds). */
interface KnownStanding {
  facts: UserFacts;
  until: number;
}

/**
 * Revocations of one user (`idFromName(userId)`): access-token ids, session ids and "everything before";
 * and each session's step-up proof (a recent re-authentication). Consulted on every authenticated request,
 * so `check` is four point reads and never writes: the step-up proof rides along with the revocation check
 * that every request already makes, and a protected operation costs no extra round trip to decide it.
 *
 * It also keeps a copy of the user's standing (role, status, memberships) for routes answered at the edge:
 * filled from the database by a request that found none (`learnStanding`), dropped whenever the standing
 * changes (`forgetStanding`, sent by the request that changed it and, should that fail, by the cron from the
 * outbox), and never used past a bound no longer than an access token's life. A fill carries the generation
 * the object had when the request found no copy: a change in between bumps it, so an older read is refused.
 */
export class SessionAuthority extends DurableObject<Bindings> {
  /** Whether an access token may still be used at `nowSeconds` (and, when asked, the user's standing). */
  check(token: TokenClaims, nowSeconds: number, options: { standing?: boolean } = {}): TokenCheck {
    const kv = this.ctx.storage.kv;
    // An entry past its expiry only awaits pruning: the token or session it names has expired on its own.
    const tokenExp = kv.get<number>(TOKEN + token.jti);
    if (tokenExp !== undefined && nowSeconds < tokenExp) return { valid: false, reason: "token_revoked" };
    const sessionUntil = kv.get<number>(SESSION + token.sid);
    if (sessionUntil !== undefined && nowSeconds < sessionUntil) {
      return { valid: false, reason: "session_revoked" };
    }
    const all = kv.get<AllRevoked>(ALL);
    // Strictly before: `after` keeps the caller's milliseconds, so a login right after a revocation in
    // the same second passes when its `iat` carries milliseconds too. A whole-second `iat` is the start of
    // its second, so the error can only refuse a same-second newcomer (until the next second), never
    // accept a token issued before the revocation.
    if (all && token.iat < all.after && token.sid !== all.exceptSessionId) {
      return { valid: false, reason: "all_revoked" };
    }
    const proof = kv.get<StepUpProof>(STEP_UP + token.sid);
    const valid: TokenCheck =
      proof && nowSeconds < proof.until ? { valid: true, stepUp: proof } : { valid: true };
    if (!options.standing) return valid;
    const known = kv.get<KnownStanding>(STANDING);
    return {
      ...valid,
      standing: known && nowSeconds < known.until ? known.facts : undefined,
      generation: kv.get<number>(GENERATION) ?? 0,
    };
  }

  /**
   * Keeps `facts`, read from the database after `check` found no copy under `generation`, until
   * `untilSeconds`; refused (false) when the standing changed since.
   */
  learnStanding(generation: number, facts: UserFacts, untilSeconds: number): boolean {
    const kv = this.ctx.storage.kv;
    if ((kv.get<number>(GENERATION) ?? 0) !== generation) return false;
    kv.put<KnownStanding>(STANDING, { facts, until: untilSeconds });
    return true;
  }

  /** Drops the copy of the standing: it changed. */
  forgetStanding(): void {
    const kv = this.ctx.storage.kv;
    this.ctx.storage.transactionSync(() => {
      kv.put(GENERATION, (kv.get<number>(GENERATION) ?? 0) + 1);
      kv.delete(STANDING);
    });
  }

  /** Records that session `sid` re-authenticated with `factor`; the proof counts until `untilSeconds`. */
  async stepUp(sid: string, untilSeconds: number, factor: StepUpFactor): Promise<void> {
    this.ctx.storage.kv.put<StepUpProof>(STEP_UP + sid, { until: untilSeconds, factor });
    await this.prune();
  }

  /**
   * Forgets the step-up proofs of every session but `exceptSessionId`, whose proof becomes `keep` when given:
   * once a stronger factor is enrolled, a proof made with the password elsewhere no longer meets "the
   * strongest factor the user holds".
   */
  clearStepUps(exceptSessionId?: string, keep?: StepUpProof): void {
    const kv = this.ctx.storage.kv;
    for (const [key] of [...kv.list({ prefix: STEP_UP })]) {
      if (key !== STEP_UP + exceptSessionId) kv.delete(key);
    }
    if (exceptSessionId && keep) kv.put<StepUpProof>(STEP_UP + exceptSessionId, keep);
  }

  /** Revokes one access token (logout) until its expiry `expSeconds`. */
  async revokeToken(jti: string, expSeconds: number): Promise<void> {
    this.extend(TOKEN + jti, expSeconds);
    await this.prune();
  }

  /** Revokes a session (logout, deletion, refresh-token reuse) until its absolute expiry `untilSeconds`. */
  async revokeSession(sid: string, untilSeconds: number): Promise<void> {
    this.extend(SESSION + sid, untilSeconds);
    this.ctx.storage.kv.delete(STEP_UP + sid);
    await this.prune();
  }

  /**
   * Kills every token issued before `nowSeconds` (password change or reset, account disabled); pass
   * `Date.now() / 1000` to keep milliseconds. `exceptSessionId` keeps the caller's own session alive (change
   * of password ends the other sessions). Each call replaces the previous exception.
   */
  revokeAll(nowSeconds: number, exceptSessionId?: string): void {
    const previous = this.ctx.storage.kv.get<AllRevoked>(ALL);
    // The cutoff never moves back, whatever order calls from skewed clocks arrive in.
    const after = Math.max(previous?.after ?? Number.NEGATIVE_INFINITY, nowSeconds);
    this.ctx.storage.kv.put<AllRevoked>(ALL, exceptSessionId ? { after, exceptSessionId } : { after });
  }

  /** Runs at the earliest expiry among the revocations. */
  override async alarm(): Promise<void> {
    await this.prune();
  }

  /** Stores an expiry, keeping the later one if the key is already revoked. */
  private extend(key: string, expirySeconds: number): void {
    const kv = this.ctx.storage.kv;
    kv.put(key, Math.max(kv.get<number>(key) ?? 0, expirySeconds));
  }

  /**
   * Deletes revocations whose expiry has passed and sets the alarm to the next one, so storage holds only
   * live entries. A full scan per write is fine: writes are rare and a user has few live revocations.
   */
  private async prune(): Promise<void> {
    const kv = this.ctx.storage.kv;
    const nowSeconds = Date.now() / 1000;
    let next = Number.POSITIVE_INFINITY;
    this.ctx.storage.transactionSync(() => {
      for (const prefix of [TOKEN, SESSION, STEP_UP]) {
        // Listed in full before deleting, so the cursor never walks over rows being removed.
        for (const [key, value] of [...kv.list<number | StepUpProof>({ prefix })]) {
          const expiry = typeof value === "number" ? value : value.until;
          if (expiry <= nowSeconds) kv.delete(key);
          else next = Math.min(next, expiry);
        }
      }
    });
    if (next === Number.POSITIVE_INFINITY) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next * 1000);
  }
}
