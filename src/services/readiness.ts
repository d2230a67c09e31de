/** Readiness of each dependency, in the shape of the AccuNode health response (minus host metrics). */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** What a probe found out about its dependency (a server version, the key ids...), named in camelCase. */
export type DependencyDetails = Record<string, unknown>;

/** One dependency probe. It throws when the dependency is unreachable; it may also report itself unhealthy. */
export interface DependencyCheck {
  name: string;
  /** A required dependency that is down makes the whole service unhealthy (503). */
  required: boolean;
  probe: () => Promise<{ status?: HealthStatus } & DependencyDetails>;
}

export interface DependencyReport {
  status: HealthStatus;
  required: boolean;
  /** Milliseconds the probe took (to 0.01 ms), timed out or not. */
  responseTimeMs: number;
  /** Why an unhealthy probe failed, without its detail (that goes to `onFailure`). */
  error?: "unreachable" | "timeout";
  /** What the probe reported; empty when it failed. */
  details: DependencyDetails;
}

export interface ReadinessReport {
  status: HealthStatus;
  timestamp: string;
  version: string;
  environment: string;
  services: Record<string, DependencyReport>;
}

export interface ReadinessOptions {
  version: string;
  environment: string;
  timeoutMs: number;
  /** Receives the full failure of a probe; the report itself only says "unreachable" or "timeout". */
  onFailure?: (name: string, error: unknown) => void;
  now?: () => Date;
}

class ProbeTimeout extends Error {}

async function runCheck(check: DependencyCheck, options: ReadinessOptions): Promise<DependencyReport> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), options.timeoutMs);
  });
  try {
    const { status, ...details } = await Promise.race([check.probe(), timeout]);
    return {
      status: status ?? "healthy",
      required: check.required,
      responseTimeMs: elapsed(started),
      details,
    };
  } catch (error) {
    options.onFailure?.(check.name, error);
    return {
      status: "unhealthy",
      required: check.required,
      responseTimeMs: elapsed(started),
      error: error instanceof ProbeTimeout ? "timeout" : "unreachable",
      details: {},
    };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number): number => Math.round((performance.now() - started) * 100) / 100;

/** Overall status: any required dependency unhealthy -> unhealthy; anything else short of healthy -> degraded. */
export function overallStatus(reports: DependencyReport[]): HealthStatus {
  if (reports.some((r) => r.required && r.status === "unhealthy")) return "unhealthy";
  if (reports.some((r) => r.status !== "healthy")) return "degraded";
  return "healthy";
}

/** Probes every dependency concurrently, each bounded by the timeout. */
export async function checkReadiness(
  checks: DependencyCheck[],
  options: ReadinessOptions,
): Promise<ReadinessReport> {
  const reports = await Promise.all(checks.map((check) => runCheck(check, options)));
  return {
    status: overallStatus(reports),
    timestamp: (options.now?.() ?? new Date()).toISOString(),
    version: options.version,
    environment: options.environment,
    services: Object.fromEntries(checks.map((check, i) => [check.name, reports[i] as DependencyReport])),
  };
}
