/** One benchmarked request. Later features append theirs (with a `setup` that creates what they need). */
export interface Scenario {
  name: string;
  /** `floor` is the empty Worker; `api` is FinEdge. */
  target: "floor" | "api";
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Status every response must have; others are counted as errors. */
  expectStatus: number;
}

export const scenarios: Scenario[] = [
  { name: "floor", target: "floor", path: "/", expectStatus: 204 },
  { name: "GET /health", target: "api", path: "/health", expectStatus: 200 },
  { name: "GET /health/ready", target: "api", path: "/health/ready", expectStatus: 200 },
];
