/** Readiness of each dependency, in the shape of the AccuNode health response (minus host metrics). */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** One dependency probe. It throws when the dependency is unreachable; it may also report itself unhealthy. */
export interface DependencyCheck {
  name: string;
  /** A required dependency that is down makes the whole service unhealthy (503). */
  required: boolean;
  probe: () => Promise<{ status?: HealthStatus } & Record<string, unknown>>;
}

export interface DependencyReport {
  status: HealthStatus;
  required: boolean;
  response_time_ms: number;
  error?: string;
  [detail: string]: unknown;
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
      response_time_ms: elapsed(started),
      ...details,
    };
  } catch (error) {
    options.onFailure?.(check.name, error);
    return {
      status: "unhealthy",
      required: check.required,
      response_time_ms: elapsed(started),
      error: error instanceof ProbeTimeout ? "timeout" : "unreachable",
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
