/**
 * Screening one name against a whole list. `prepareList` tokenises every listed name and alias once and
 * indexes their distinct tokens; `screenName` compares the query's tokens with the indexed tokens that could
 * match them - those starting with a letter that may stand for the same sound, or for Arabic or Hebrew
 * script the same first consonant - and scores in full only the names holding a token that did, and only
 * those whose score a cheap bound does not rule out.
 */
import jaroWinkler from "talisman/metrics/jaro-winkler";
import {
  credit,
  DEFAULT_THRESHOLD,
  MATCH_FLOOR,
  type MergedRun,
  mergedRuns,
  mergeMatches,
  scoreBound,
  scoreNames,
  soundGroup,
  type TokenSimilarity,
  tokenSimilarity,
  VOWEL_VARIANT,
} from "./name-matching";
import { type NameToken, normalizeName } from "./name-normalization";
import type { AliasType, SdnAlias, SdnEntry } from "./sdn-list";

/** What screening needs of a listed party: its name, its kind and its aliases. */
export type ScreenableEntry = Pick<SdnEntry, "name" | "type"> & { aliases: readonly SdnAlias[] };

interface ListedName {
  entry: number;
  name: string;
  alias: AliasType | null;
  weak: boolean;
  tokens: NameToken[];
  /** Each token's place in the list's distinct tokens, -1 for one that is not indexed (initial, particle). */
  ids: number[];
  /** Its merged runs, worked out when the name is first a candidate (most names never are). */
  runs?: MergedRun[];
}

const runsOf = (listed: ListedName) => {
  listed.runs ??= mergedRuns(listed.tokens);
  return listed.runs;
};

/** A distinct token of the list and the names that hold it. */
interface IndexedToken {
  text: string;
  skeleton: string;
  abjad: boolean;
  names: number[];
}

export interface PreparedList<E extends ScreenableEntry> {
  readonly entries: readonly E[];
  readonly names: readonly ListedName[];
  readonly tokens: readonly IndexedToken[];
  /** Tokens of up to three letters, which only match exactly, by text. */
  readonly short: ReadonlyMap<string, number>;
  /** Longer Latin tokens by the sound group of their first letter. */
  readonly latin: ReadonlyMap<string, number[]>;
  /** Every token by the first letter of its consonants; Arabic and Hebrew ones only in `abjad`. */
  readonly consonants: ReadonlyMap<string, number[]>;
  readonly abjad: ReadonlyMap<string, number[]>;
}

export interface ScreenMatch<E extends ScreenableEntry> {
  entry: E;
  score: number;
  /** The listed name or alias that matched. */
  name: string;
  /** null when the entry's own name matched. */
  alias: AliasType | null;
  weak: boolean;
}

/** The tokens that can find a name: not an initial, not a particle (al, bin, de match too much). */
const searchable = (t: NameToken) => !t.initial && !t.particle && t.text.length > 0;

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** Tokenises and indexes a list's names and aliases, once, for any number of `screenName` calls. */
export function prepareList<E extends ScreenableEntry>(entries: readonly E[]): PreparedList<E> {
  const names: ListedName[] = [];
  const indexed: IndexedToken[] = [];
  const ids = new Map<string, number>();
  const short = new Map<string, number>();
  const latin = new Map<string, number[]>();
  const consonants = new Map<string, number[]>();
  const abjad = new Map<string, number[]>();
  const index = (token: NameToken) => {
    const key = `${token.abjad ? "#" : ""}${token.text}`;
    let id = ids.get(key);
    if (id !== undefined) return id;
    id = indexed.length;
    ids.set(key, id);
    indexed.push({ text: token.text, skeleton: token.skeleton, abjad: token.abjad, names: [] });
    if (token.skeleton) push(consonants, token.skeleton[0], id);
    if (token.abjad) {
      if (token.skeleton) push(abjad, token.skeleton[0], id);
    } else if (token.text.length <= 3) short.set(token.text, id);
    else push(latin, soundGroup(token.text[0] as string), id);
    return id;
  };
  entries.forEach((entry, entryIndex) => {
    const kind = entry.type === "individual" ? "individual" : "entity";
    const own = { name: entry.name, alias: null, weak: false };
    for (const { name, alias, weak } of [own, ...entry.aliases.map((a) => ({ ...a, alias: a.type }))]) {
      const nameId = names.length;
      const tokens = normalizeName(name, kind);
      const ids = tokens.map((token) => (searchable(token) ? index(token) : -1));
      names.push({ entry: entryIndex, name, alias, weak, tokens, ids });
      for (const id of ids) {
        const holders = id < 0 ? null : (indexed[id] as IndexedToken).names;
        if (holders && holders[holders.length - 1] !== nameId) holders.push(nameId);
      }
    }
  });
  return { entries, names, tokens: indexed, short, latin, consonants, abjad };
}

/**
 * `tokenSimilarity` remembered for one query: a listed token (Muhammad, Trading) recurs in thousands of names,
 * and its similarity to a query token depends only on its text.
 */
function rememberedSimilarity(): TokenSimilarity {
  const rows = new Map<NameToken, Map<string, number>>();
  return (a, b) =>
    kept(
      kept(rows, a, () => new Map()),
      textKey(b),
      () => tokenSimilarity(a, b),
    );
}

/** What a token's similarity to another depends on, as a key. */
const textKey = (token: NameToken) =>
  token.initial ? `.${token.first}` : token.abjad ? `#${token.text}` : token.text;

/** The value `map` holds for `key`, computed and kept the first time. */
function kept<K, V>(map: Map<K, V>, key: K, compute: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = compute();
    map.set(key, value);
  }
  return value;
}

/**
 * The listed tokens that may match a query token, each with the most `tokenSimilarity` can give the pair
 * (Jaro-Winkler, or the vowel-variant floor): only tokens that begin alike can match, so only their bucket is
 * looked at, and the list is complete.
 */
function candidateTokens(list: PreparedList<ScreenableEntry>, token: NameToken): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const bySkeleton = (ids: number[] | undefined) => {
    for (const id of ids ?? []) {
      const listed = list.tokens[id] as IndexedToken;
      let similarity = jaroWinkler(token.skeleton, listed.skeleton);
      if (token.abjad && listed.abjad)
        similarity = Math.max(similarity, jaroWinkler(token.text, listed.text));
      if (similarity >= MATCH_FLOOR) found.push([id, similarity]);
    }
  };
  if (token.abjad) {
    bySkeleton(list.consonants.get(token.skeleton[0] as string));
    return found;
  }
  if (token.skeleton) bySkeleton(list.abjad.get(token.skeleton[0] as string));
  if (token.text.length <= 3) {
    const id = list.short.get(token.text);
    if (id !== undefined) found.push([id, 1]);
    return found;
  }
  for (const id of list.latin.get(soundGroup(token.text[0] as string)) ?? []) {
    const listed = list.tokens[id] as IndexedToken;
    const similarity = jaroWinkler(token.text, listed.text);
    const vowelVariant = token.skeleton.length >= 2 && token.skeleton === listed.skeleton;
    if (vowelVariant || similarity >= MATCH_FLOOR)
      found.push([id, vowelVariant ? Math.max(similarity, VOWEL_VARIANT) : similarity]);
  }
  return found;
}

/**
 * A token that is not indexed yet may match indexed ones: an initial, or a particle long enough to be
 * compared other than exactly (della, bint). Where one side has one, the bound takes the other side's
 * tokens at full credit.
 */
const wild = (t: NameToken) => t.initial || (t.particle && t.text.length > 3);

/** What the look-up in the index found for a query: each candidate name's best credit per query token. */
interface Found {
  /** By name: the best credit each query token (by index) found in it. */
  names: Map<number, Float64Array>;
  /** By listed token: the best credit any query token found for it. */
  tokens: Map<number, number>;
}

function lookUp(list: PreparedList<ScreenableEntry>, query: NameToken[]): Found {
  const found: Found = { names: new Map(), tokens: new Map() };
  query.forEach((token, index) => {
    if (!searchable(token)) return;
    for (const [id, similarity] of candidateTokens(list, token)) {
      const best = credit(similarity);
      found.tokens.set(id, Math.max(best, found.tokens.get(id) ?? 0));
      for (const name of (list.tokens[id] as IndexedToken).names) {
        const credits = kept(found.names, name, () => new Float64Array(query.length));
        credits[index] = Math.max(credits[index] as number, best);
      }
    }
  });
  return found;
}

/**
 * For one query: whether a candidate's score can reach `threshold`, judged cheaply - by `scoreBound` on the
 * credits the look-up found (a token not indexed, an initial or a particle, taken at full credit), unless a
 * merged run matches (then only the score can say). Whether a listed run matches a query token, or a query
 * run a listed token, is remembered by text: both recur across names.
 */
function reachability(query: NameToken[], found: Found, runs: MergedRun[], similarity: TokenSimilarity) {
  const listedRuns = new Map<string, boolean>();
  const byQueryRuns = new Map<string, boolean>();
  const queryWild = query.some(wild);
  return (nameId: number, listed: ListedName, threshold: number) => {
    const credits = found.names.get(nameId) as Float64Array;
    const listedWild = listed.tokens.some(wild);
    const bound = scoreBound(query, listed.tokens, (side, index) => {
      if (side === 0)
        return listedWild || !searchable(query[index] as NameToken) ? 1 : (credits[index] as number);
      const id = listed.ids[index] as number;
      return queryWild || id < 0 ? 1 : (found.tokens.get(id) ?? 0);
    });
    if (bound >= threshold) return true;
    return (
      runsOf(listed).some((run) =>
        kept(listedRuns, textKey(run.token), () => query.some((q) => mergeMatches(q, run.token, similarity))),
      ) ||
      listed.tokens.some((token) =>
        kept(byQueryRuns, textKey(token), () =>
          runs.some((run) => mergeMatches(token, run.token, similarity)),
        ),
      )
    );
  };
}

/**
 * The listed parties whose name or an alias scores at least `threshold` against `query`, best first, each
 * once with the name that matched best. `list` is a `prepareList` result (or entries, prepared on the spot).
 */
export function screenName<E extends ScreenableEntry>(
  query: string,
  list: PreparedList<E> | readonly E[],
  { threshold = DEFAULT_THRESHOLD, limit = Number.POSITIVE_INFINITY } = {},
): ScreenMatch<E>[] {
  const prepared = Array.isArray(list) ? prepareList(list as readonly E[]) : (list as PreparedList<E>);
  const tokens = normalizeName(query, "unknown");
  const found = lookUp(prepared as PreparedList<ScreenableEntry>, tokens);
  const best = new Map<number, ScreenMatch<E>>();
  const similarity = rememberedSimilarity();
  const runsA = mergedRuns(tokens);
  const mayReach = reachability(tokens, found, runsA, similarity);
  for (const nameId of found.names.keys()) {
    const listed = prepared.names[nameId] as ListedName;
    if (!mayReach(nameId, listed, threshold)) continue;
    const score = scoreNames(tokens, listed.tokens, { similarity, runsA, runsB: runsOf(listed) });
    if (score < threshold) continue;
    const known = best.get(listed.entry);
    // The entry's best name; between equal scores its own name before an alias, a strong alias before a weak one.
    const rank = (m: { alias: AliasType | null; weak: boolean }) =>
      (m.alias === null ? 2 : 0) + (m.weak ? 0 : 1);
    if (!known || score > known.score || (score === known.score && rank(listed) > rank(known))) {
      const entry = prepared.entries[listed.entry] as E;
      best.set(listed.entry, { entry, score, name: listed.name, alias: listed.alias, weak: listed.weak });
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
}
