/**
 * When a failed delivery is tried again: after 1 minute, 5, 30, 2 hours, 5, then every 10 hours, each with up to
 * 10% jitter (receivers that failed together are not hit together again), for three days from the event; a
 * delivery still failing then has failed. An endpoint whose every attempt has failed for three days is disabled.
 */

const DELAYS_S = [60, 300, 1_800, 7_200, 18_000, 36_000];
export const RETRY_WINDOW_MS = 3 * 86_400_000;
/** A queue message can be delayed at most 12 hours; a longer wait is the sweep's to pick up. */
export const MAX_QUEUE_DELAY_S = 43_200;

/** The wait after failed attempt `attempt` (1-based), in seconds. */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const base = DELAYS_S[Math.min(attempt, DELAYS_S.length) - 1] ?? 36_000;
  return Math.round(base * (1 + random() * 0.1));
}

/** Whether a delivery made at `createdAt` is out of retries at `now`. */
export const outOfRetries = (createdAt: Date, now: Date) =>
  now.getTime() - createdAt.getTime() >= RETRY_WINDOW_MS;

/** Whether an endpoint failing since `failingSince` has failed long enough to be disabled at `now`. */
export const failingTooLong = (failingSince: Date | null, now: Date) =>
  failingSince !== null && now.getTime() - failingSince.getTime() >= RETRY_WINDOW_MS;
