/** Structured logging: one JSON object per line, the shape `wrangler tail --format json` shows as-is. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether a line at `level` is written under `threshold` (to skip building one that is not). */
export const logs = (threshold: LogLevel, level: LogLevel): boolean => rank[level] >= rank[threshold];

/** Writes one log line when `level` reaches `threshold`. Callers must never pass secrets or tokens. */
export function log(threshold: LogLevel, level: LogLevel, fields: Record<string, unknown>): void {
  if (!logs(threshold, level)) return;
  const line = JSON.stringify({ ts: new Date().toISOString(), level, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

// A path segment that could be a bearer secret (an invitation token, say): long base64url, not a UUID.
const SECRET_SEGMENT = /^(?![0-9a-f]{8}-[0-9a-f]{4}-)[A-Za-z0-9_-]{32,}$/;

/** The request path fit for a log line: segments that look like secrets are replaced. */
export const loggablePath = (path: string): string =>
  path
    .split("/")
    .map((segment) => (SECRET_SEGMENT.test(segment) ? "[redacted]" : segment))
    .join("/");

/** Flattens an unknown thrown value into loggable fields, keeping the stack and cause chain. */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const described: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  if (error.cause !== undefined && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
