import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import type { RateLimitDecision } from "../services/rate-limit/limiter";

/** The one stored record: counts of the current and previous fixed windows, by window index. */
interface CounterState {
  /** Index of the window `current` counts (`floor(epoch ms / windowMs)`). */
  window: number;
  current: number;
  previous: number;
  windowMs: number;
  /** The latest `now` seen, so a caller with a clock behind another's cannot move the windows back. */
  at: number;
}

const STATE = "state";

/** How long the hits after a window's first wait to be stored together (one write for all of them). */
const WRITE_EVERY_MS = 1000;

/**
 * Sliding-window counter of one (rule, key) (`idFromName(`${rule.name}:${key}`)`), with Upstash's
 * `slidingWindow` semantics: the previous window's count weighted by how much of it still overlaps, plus the
 * current window's count. `hit` reads, decides and writes without awaiting in between, so simultaneous hits
 * are serialised by the object and exactly `limit` of them are admitted.
 */
export class RateLimitCounter extends DurableObject<Bindings> {
  /**
   * The stored state as last read or written (null: none stored): only this object writes it, so the copy
   * stays true for the object's life and a hit reads nothing from storage.
   */
  #state: CounterState | null | undefined;
  /** The write of the state scheduled after the answer of a hit, if one is. */
  #writing: ReturnType<typeof setTimeout> | undefined;
  /** The window whose records' deletion an alarm is set for. */
  #alarmFor: number | undefined;

  #stored(): CounterState | undefined {
    if (this.#state === undefined) this.#state = this.ctx.storage.kv.get<CounterState>(STATE) ?? null;
    return this.#state ?? undefined;
  }

  /** Counts one request at `now` (epoch ms) if the window has room. */
  async hit(now: number, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    if (!(Number.isInteger(limit) && limit >= 1 && Number.isInteger(windowSeconds) && windowSeconds >= 1)) {
      throw new RangeError("rate limit needs an integer limit >= 1 and a whole number of seconds >= 1");
    }
    const windowMs = windowSeconds * 1000;
    const stored = this.#stored();
    const state = stored?.windowMs === windowMs ? stored : undefined;
    const at = Math.max(now, state?.at ?? now);
    const window = Math.floor(at / windowMs);
    let current = 0;
    let previous = 0;
    if (state?.window === window) ({ current, previous } = state);
    else if (state?.window === window - 1) previous = state.current;

    const fromPrevious = weighted(at, windowMs, previous);
    const allowed = fromPrevious + current < limit;
    if (allowed) {
      current += 1;
      this.#state = { window, current, previous, windowMs, at };
      // A new window's record is stored at once (it sets the cleanup alarm); further hits ride on one write a
      // second at most, so a busy key costs storage one write a second, not one per request.
      this.#writing ??= setTimeout(() => this.#write(), this.#alarmFor === window ? WRITE_EVERY_MS : 0);
    }
    const decision: RateLimitDecision = {
      allowed,
      limit,
      remaining: Math.max(0, limit - fromPrevious - current),
      resetSeconds: Math.max(0, Math.ceil((slotFreesAt(at, windowMs, limit, previous, current) - at) / 1000)),
    };
    return decision;
  }

  /**
   * Stores the state the hits since the last write left, once their answers are out. A write issued before
   * an answer holds the answer back until the write is confirmed (the object's output gate: a replicated
   * write in production); the copy in memory is what decides, and the stored one only outlives the object.
   * The hits of a window after its first share one write a second. Should the object fail in between, those
   * counts - at most a second's - are lost: a limit errs towards admitting a few more, never towards refusing.
   */
  async #write(): Promise<void> {
    this.#writing = undefined;
    const state = this.#state;
    if (!state) return;
    this.ctx.storage.kv.put<CounterState>(STATE, state);
    // Only a record of a new window needs a later expiry; issued after the write, so it belongs to it.
    if (this.#alarmFor !== state.window) {
      this.#alarmFor = state.window;
      await this.ctx.storage.setAlarm(cleanupAt(expiryOf(state.window, state.windowMs)));
    }
  }

  /** A round trip that touches no storage, for readiness checks. */
  ping(): true {
    return true;
  }

  /** Deletes a record once it no longer weighs on any window, so one-off keys leave nothing behind. */
  override async alarm(): Promise<void> {
    const state = this.#stored();
    if (!state) return;
    const expiry = expiryOf(state.window, state.windowMs);
    if (expiry > Date.now()) await this.ctx.storage.setAlarm(cleanupAt(expiry));
    else {
      this.ctx.storage.kv.delete(STATE);
      this.#state = null;
    }
  }
}

// Windows are aligned to the epoch, so every record counted in one window expires at the same instant: deleting
// them all then would be a burst of alarms at every window's end (in one workerd process - `wrangler dev`, the
// test runtime - requests stalled for seconds behind it). A record deleted up to an hour late weighs nothing.
const CLEANUP_SPREAD_MS = 3_600_000;

/** When to delete a record that weighs nothing from `expiry` on: a random moment in the hour after it. */
function cleanupAt(expiry: number): number {
  return expiry + Math.floor(Math.random() * CLEANUP_SPREAD_MS);
}

/** The end of the window after `window`: from then on its counts weigh nothing. */
function expiryOf(window: number, windowMs: number): number {
  return (window + 2) * windowMs;
}

/** The previous window's count, weighted by the share of it still inside the sliding window at `at`. */
function weighted(at: number, windowMs: number, previous: number): number {
  // The same arithmetic as Upstash's script (floored), so both backends admit the same requests.
  return Math.floor((1 - (at % windowMs) / windowMs) * previous);
}

/** The first millisecond from `now` at which one more request would be admitted, given the counts at `now`. */
function slotFreesAt(
  now: number,
  windowMs: number,
  limit: number,
  previous: number,
  current: number,
): number {
  const start = now - (now % windowMs);
  // Past this window's end, its count becomes the previous one; the count never rises as time passes.
  const admits = (t: number) =>
    t < start + windowMs
      ? weighted(t, windowMs, previous) + current < limit
      : weighted(t, windowMs, current) < limit;
  if (admits(now)) return now;
  // A floor is below an integer exactly when its argument is: a linear bound, then made exact to the
  // millisecond with the decision's own arithmetic (floating point may put the bound one step off).
  let t =
    current < limit
      ? start + Math.floor(windowMs - ((limit - current) * windowMs) / previous) + 1
      : start + windowMs + Math.floor(windowMs - (limit * windowMs) / current) + 1;
  while (!admits(t)) t += 1;
  while (t - 1 > now && admits(t - 1)) t -= 1;
  return t;
}
