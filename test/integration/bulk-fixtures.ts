/**
 * Bulk fixtures: uploading files of loan applications and reading a job's results.
 */
import { expect } from "vitest";
import type { ResultLine } from "../../src/services/risk/job-results";
import { api } from "./auth-helpers";
import { call } from "./helpers";

export const FIELDS = [
  "seniority",
  "home",
  "time",
  "age",
  "marital",
  "records",
  "job",
  "expenses",
  "income",
  "assets",
  "debt",
  "amount",
  "price",
];

/** A line of a job's results file, as the API writes it. */
export type { ResultLine };

export function upload(
  token: string,
  body: BodyInit,
  contentType: string,
  query = "?model=credit-lr",
  headers: Record<string, string> = {},
) {
  return call(`/api/v1/predictions/bulk${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": contentType, ...headers },
    body,
    // A stream body has no length: it goes up chunked.
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

export async function submit(
  token: string,
  body: BodyInit,
  contentType: string,
  query?: string,
  status = "queued",
) {
  const response = await upload(token, body, contentType, query);
  expect(response.status, await response.clone().text()).toBe(202);
  const accepted = await response.json<{ id: string; status: string; location: string }>();
  expect(response.headers.get("location")).toBe(`/api/v1/jobs/${accepted.id}`);
  expect(accepted.status).toBe(status);
  return accepted.id;
}

/** A job's results as text, decoded as UTF-8 from the bytes as a client would (NDJSON has no text/* type). */
export async function resultText(token: string, id: string, format = "ndjson") {
  const response = await api(`/api/v1/jobs/${id}/results?format=${format}`, { token });
  expect(response.status).toBe(200);
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(await response.arrayBuffer());
}

export const parseLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ResultLine);
