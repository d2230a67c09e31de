/**
 * The existence-oracle check: `POST /api/v1/auth/password/forgot` for an address that has an account and for
 * one that does not, timed one request at a time from this process. The two must not be told apart by time.
 *
 * The samples alternate in an ABBA order (known, unknown, unknown, known, ...), so each kind follows each
 * kind equally often, and each request starts after a short pause: the previous request's e-mail work, which
 * runs after its response, has then settled and does not weigh on the next one.
 */
import { account } from "./scenarios";

export interface OracleReport {
  samples: number;
  known_p50_ms: number;
  unknown_p50_ms: number;
  /** known minus unknown, in milliseconds. */
  difference_ms: number;
}

const PAUSE_MS = 100;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const round = (ms: number) => Math.round(ms * 1000) / 1000;

async function timedForgot(apiUrl: string, email: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${apiUrl}/api/v1/auth/password/forgot`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  if (response.status !== 202) throw new Error(`forgot-password answered ${response.status}`);
  return elapsed;
}

/** `samples` timed requests for each kind of address, after a discarded warm-up of each. */
export async function measureOracle(apiUrl: string, samples = 50): Promise<OracleReport> {
  const { email: known } = await account(apiUrl, "oracle");
  const unknown = () => `bench-nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
  for (let i = 0; i < 5; i++) {
    await timedForgot(apiUrl, known);
    await timedForgot(apiUrl, unknown());
  }
  const times = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < samples * 2; i++) {
    const kind = i % 4 === 0 || i % 4 === 3 ? "known" : "unknown";
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    times[kind].push(await timedForgot(apiUrl, kind === "known" ? known : unknown()));
  }
  const knownP50 = median(times.known);
  const unknownP50 = median(times.unknown);
  return {
    samples,
    known_p50_ms: round(knownP50),
    unknown_p50_ms: round(unknownP50),
    difference_ms: round(knownP50 - unknownP50),
  };
}
