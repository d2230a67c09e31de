/** Sanctions lists for the suites: the made-up SDN files under test/fixtures/sanctions, uploaded through the API. */
import { expect } from "vitest";
import ALT from "../fixtures/sanctions/alt.csv?raw";
import SDN from "../fixtures/sanctions/sdn.csv?raw";
import { api } from "./auth-helpers";
import { call } from "./helpers";

export { ALT, SDN };

export interface SanctionsListView {
  id: string;
  version: number;
  status: "processing" | "ready" | "failed";
  entries: number;
  aliases: number;
  customers_screened: number | null;
  matches_found: number | null;
  failure: string | null;
  uploaded_by: { type: string; id: string | null };
}

export interface SanctionsMatchView {
  id: string;
  customer_id: string;
  list_id: string;
  origin: string;
  entry_uid: number;
  entry_name: string;
  matched_name: string;
  score: number;
  status: "open" | "confirmed" | "dismissed";
  live: boolean;
  decision: { reason: string; decided_by: { type: string; id: string | null } } | null;
}

/** Uploads the files (multipart: `sdn`, optional `alt`) and answers the raw response. */
export function uploadList(
  token: string,
  files: { sdn?: string; alt?: string } = { sdn: SDN, alt: ALT },
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  if (files.sdn !== undefined) form.set("sdn", new Blob([files.sdn]), "sdn.csv");
  if (files.alt !== undefined) form.set("alt", new Blob([files.alt]), "alt.csv");
  return call("/api/v1/compliance/sanctions-lists", {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${token}` },
    body: form,
  });
}

/** Polls a list until its rescreen settles it (bounded). */
export async function waitForList(token: string, id: string, attempts = 400): Promise<SanctionsListView> {
  let list: SanctionsListView | undefined;
  for (let i = 0; i < attempts; i++) {
    const response = await api(`/api/v1/compliance/sanctions-lists/${id}`, { token });
    expect(response.status, await response.clone().text()).toBe(200);
    list = await response.json<SanctionsListView>();
    if (list.status !== "processing") return list;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`list ${id} did not settle: ${JSON.stringify(list)}`);
}

/** Uploads the fixture list and waits for it to be ready. */
export async function readyList(token: string, files?: { sdn?: string; alt?: string }) {
  const response = await uploadList(token, files ?? { sdn: SDN, alt: ALT });
  expect(response.status, await response.clone().text()).toBe(202);
  const { id } = await response.json<SanctionsListView>();
  const list = await waitForList(token, id);
  expect(list.status, JSON.stringify(list)).toBe("ready");
  return list;
}

/** The tenant's matches, filtered by the query given. */
export async function matchesOf(token: string, search = "") {
  const response = await api(`/api/v1/compliance/sanctions-matches?limit=100${search}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json<{ items: SanctionsMatchView[] }>()).items;
}
