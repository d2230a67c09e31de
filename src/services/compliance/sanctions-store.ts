/**
 * A tenant's sanctions lists in R2 (the FILES bucket), each under its own id and never overwritten, and the
 * prepared form screening uses, kept per isolate: a list's files never change, so a prepared list is good for
 * as long as the isolate lives. Loading one costs an R2 read and the parse and preparation (about a second
 * for OFAC's whole list), once per isolate and list - never a database round trip.
 */
import { DEFAULT_THRESHOLD } from "./name-matching";
import { type PreparedList, prepareList, type ScreenMatch, screenName } from "./name-screening";
import { parseSdnList, type SdnEntry } from "./sdn-list";

/** Where a list's files live. */
export const sanctionsFileKey = (tenantId: string, listId: string, file: "sdn" | "alt") =>
  `sanctions/${tenantId}/${listId}/${file}.csv`;

/**
 * The SDN file's custom metadata says whether the list has an aliases file: the pair is read back whole, and
 * an aliases file missing from storage is an error, never a list read without its aliases.
 */
export const sdnMetadata = (hasAliases: boolean) => ({ aliases: hasAliases ? "alt" : "none" });

export class SanctionsListUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SanctionsListUnavailableError";
  }
}

/** The isolate's prepared lists, by tenant and list id; the few most recently used are kept. */
const PREPARED_KEPT = 4;
const prepared = new Map<string, Promise<PreparedList<SdnEntry>>>();

async function load(files: R2Bucket, tenantId: string, listId: string) {
  const sdnKey = sanctionsFileKey(tenantId, listId, "sdn");
  const sdn = await files.get(sdnKey);
  if (!sdn) throw new SanctionsListUnavailableError(`${sdnKey} is not in storage`);
  let alt: string | undefined;
  if (sdn.customMetadata?.aliases === "alt") {
    const altKey = sanctionsFileKey(tenantId, listId, "alt");
    const object = await files.get(altKey);
    if (!object) throw new SanctionsListUnavailableError(`${altKey} is not in storage`);
    alt = await object.text();
  }
  const parsed = parseSdnList({ sdn: await sdn.text(), ...(alt === undefined ? {} : { alt }) });
  return prepareList(parsed.entries);
}

/** The prepared list `listId` of `tenantId`, from the isolate's cache or loaded from R2 once. */
export function preparedList(
  files: R2Bucket,
  tenantId: string,
  listId: string,
): Promise<PreparedList<SdnEntry>> {
  const key = `${tenantId}/${listId}`;
  const known = prepared.get(key);
  if (known) {
    prepared.delete(key);
    prepared.set(key, known);
    return known;
  }
  const loading = load(files, tenantId, listId);
  prepared.set(key, loading);
  loading.catch(() => prepared.delete(key));
  while (prepared.size > PREPARED_KEPT) prepared.delete(prepared.keys().next().value as string);
  return loading;
}

/** A listed party a name matched, as screening reports it. */
export interface SanctionsCandidate {
  entryUid: number;
  entryName: string;
  entryType: SdnEntry["type"];
  programs: string[];
  matchedName: string;
  aliasType: "aka" | "fka" | "nka" | null;
  weak: boolean;
  /** In (0, 1], to four decimal places. */
  score: number;
}

export const candidateOf = (match: ScreenMatch<SdnEntry>): SanctionsCandidate => ({
  entryUid: match.entry.id,
  entryName: match.entry.name,
  entryType: match.entry.type,
  programs: match.entry.programs,
  matchedName: match.name,
  aliasType: match.alias,
  weak: match.weak,
  score: Math.round(match.score * 10_000) / 10_000,
});

/** The threshold at or above which a name is recorded as a potential match. */
export const SCREENING_THRESHOLD = DEFAULT_THRESHOLD;

/** A name's candidates on a prepared list, best first. */
export function screenAgainst(
  list: PreparedList<SdnEntry>,
  name: string,
  options: { threshold?: number; limit?: number } = {},
): SanctionsCandidate[] {
  return screenName(name, list, {
    threshold: options.threshold ?? SCREENING_THRESHOLD,
    limit: options.limit ?? 20,
  }).map(candidateOf);
}

/**
 * Screens a counterparty's name against the tenant's list `listId` without a database call (the caller knows
 * the active list's id from its own read): for the money-movement path, before a payment leaves.
 */
export async function screenCounterparty(
  files: R2Bucket,
  tenantId: string,
  listId: string,
  name: string,
  options: { threshold?: number; limit?: number } = {},
): Promise<SanctionsCandidate[]> {
  return screenAgainst(await preparedList(files, tenantId, listId), name, options);
}
