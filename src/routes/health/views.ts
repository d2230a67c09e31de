import type { DependencyDetails, DependencyReport, ReadinessReport } from "../../services/readiness";

/** The wire form of the readiness report: snake_case, in the field order the API has always sent. */

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * A probe's details, renamed at the top level only (`serverVersion` -> `server_version`): the values below
 * are data - model names keying the active versions, migration tags - and are sent as they are.
 */
const toDetailsView = (details: DependencyDetails) =>
  Object.fromEntries(Object.entries(details).map(([key, value]) => [snakeCase(key), value]));

export const toDependencyView = (report: DependencyReport) => ({
  status: report.status,
  required: report.required,
  response_time_ms: report.responseTimeMs,
  ...(report.error === undefined ? {} : { error: report.error }),
  ...toDetailsView(report.details),
});

export const toReadinessView = (report: ReadinessReport) => ({
  status: report.status,
  timestamp: report.timestamp,
  version: report.version,
  environment: report.environment,
  services: Object.fromEntries(
    Object.entries(report.services).map(([name, dependency]) => [name, toDependencyView(dependency)]),
  ),
});
