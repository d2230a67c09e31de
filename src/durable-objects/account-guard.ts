import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";

/** Whether an account is locked, for how long, and how many recent failures it has. */
export interface LockStatus {
  locked: boolean;
  retryAfterSeconds: number;
  failures: number;
}

/** The lockout rule: `threshold` failures within `windowSeconds` lock the account for `lockSeconds`. */
export interface LockoutPolicy {
  threshold: number;
  lockSeconds: number;
  windowSeconds: number;
}

/** The status after a failure; `justLocked` is true only for the failure that locked the account. */
export type FailureResult = LockStatus & { justLocked: boolean };

/** The one stored record: failure times (epoch ms, oldest first) and the lock's end (0 when unlocked). */
interface GuardState {
  failures: number[];
  lockedUntil: number;
  windowMs: number;
}

const STATE = "state";

/**
 * Failed sign-in counter and lock of one account (`idFromName(lower-cased e-mail)`, so unknown e-mails are
 * guarded like known ones). Every method reads and writes the state without awaiting in between, so
 * concurrent attempts are serialised by the object and can never both see "one failure left".
 */
export class AccountGuard extends DurableObject<Bindings> {
  /** The current lock and failure count at `now` (epoch ms). */
  status(now: number): LockStatus {
    return view(this.current(now), now);
  }

  /** Counts one failed attempt at `now` (epoch ms); the failure that reaches the threshold locks the account. */
  async recordFailure(now: number, policy: LockoutPolicy): Promise<FailureResult> {
    if (!(policy.threshold >= 1 && policy.lockSeconds > 0 && policy.windowSeconds > 0)) {
      throw new RangeError("lockout policy needs threshold >= 1 and positive durations");
    }
    const windowMs = policy.windowSeconds * 1000;
    const state = this.current(now) ?? { failures: [], lockedUntil: 0, windowMs };
    // Failures while locked neither count nor extend the lock: otherwise an attacker could keep a victim
    // locked out for ever just by hammering the account (ASVS 6.3.1 asks for lockout without that abuse).
    if (state.lockedUntil > now) return { ...view(state, now), justLocked: false };

    // Only the last `threshold` failures can matter, which bounds the record's size.
    state.failures = [...state.failures.filter((at) => at > now - windowMs), now].slice(-policy.threshold);
    state.windowMs = windowMs;
    const justLocked = state.failures.length >= policy.threshold;
    if (justLocked) state.lockedUntil = now + policy.lockSeconds * 1000;
    this.ctx.storage.kv.put(STATE, state);

    // Issued before the await, so the last alarm written belongs to the last state written.
    await this.ctx.storage.setAlarm(expiryOf(state));
    return { ...view(state, now), justLocked };
  }

  /** A successful sign-in: forgets the failures (a lock still running is kept). */
  recordSuccess(): void {
    const state = this.ctx.storage.kv.get<GuardState>(STATE);
    if (!state) return;
    if (state.lockedUntil === 0) this.ctx.storage.kv.delete(STATE);
    else this.ctx.storage.kv.put(STATE, { ...state, failures: [] });
  }

  /** Administrative unlock: clears the lock and the failures. */
  unlock(): void {
    this.ctx.storage.kv.delete(STATE);
  }

  /** Deletes a state nobody asked about after it expired, so sprayed e-mails do not leave records behind. */
  override async alarm(): Promise<void> {
    const state = this.current(Date.now());
    if (state) await this.ctx.storage.setAlarm(expiryOf(state));
  }

  /** The state at `now`, with an expired lock or stale failures deleted (undefined when nothing is left). */
  private current(now: number): GuardState | undefined {
    const state = this.ctx.storage.kv.get<GuardState>(STATE);
    if (!state) return undefined;
    if (state.lockedUntil > now) return state;
    // A lock that ran out resets the count: the account starts afresh.
    const failures = state.lockedUntil > 0 ? [] : state.failures.filter((at) => at > now - state.windowMs);
    if (failures.length === 0) {
      this.ctx.storage.kv.delete(STATE);
      return undefined;
    }
    if (failures.length !== state.failures.length) this.ctx.storage.kv.put(STATE, { ...state, failures });
    return { ...state, failures };
  }
}

/** When the record stops mattering: the end of the lock, or when its newest failure leaves the window. */
function expiryOf(state: GuardState): number {
  return Math.max(state.lockedUntil, (state.failures.at(-1) ?? 0) + state.windowMs);
}

function view(state: GuardState | undefined, now: number): LockStatus {
  if (!state) return { locked: false, retryAfterSeconds: 0, failures: 0 };
  const locked = state.lockedUntil > now;
  return {
    locked,
    retryAfterSeconds: locked ? Math.ceil((state.lockedUntil - now) / 1000) : 0,
    failures: state.failures.length,
  };
}
