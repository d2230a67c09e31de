/**
 * Fuzzy name matching for sanctions screening. Two names are compared token by token, in any order: each
 * pair of tokens is scored with Jaro-Winkler (on consonant skeletons where one side is Arabic or Hebrew
 * script), the assignment of tokens that maximises the total is found, and tokens left unmatched count
 * against the score - less when only one side has them and they are not a first or last name (a middle name
 * or patronymic left out), in full when both sides have some (John Michael / John Robert).
 *
 * Jaro-Winkler is talisman's (metrics/jaro-winkler): Winkler's reference definition (prefix scale 0.1 up to
 * four characters, boosted above 0.7), a maintained library whose metric modules stand alone - importing
 * this one bundles two small files - and it runs in workerd as plain JavaScript.
 */
import jaroWinkler from "talisman/metrics/jaro-winkler";
import { foldToken, type NameKind, type NameToken, normalizeName, skeletonOf } from "./name-normalization";

/** Below this Jaro-Winkler similarity two tokens are not the same name at all. */
export const MATCH_FLOOR = 0.8;
/** A matched pair's credit rises from 0 at this similarity to 1 at identity. */
const CREDIT_BASE = 0.7;
/** An initial against a full token with that first letter. */
const INITIAL_SIMILARITY = 0.95;
/**
 * Two tokens with the same consonants in the same order (Mehdi/Mahdi, Khaled/Khalid, Yusef/Yusuf): vowels are
 * what transliterations of Arabic, Persian and Turkic names disagree on most, consonants less.
 */
export const VOWEL_VARIANT = 0.93;
/** A token that is the first part of another and at most this share of its length is a truncation (Alex). */
const TRUNCATION = 0.7;
/** What a missing interior token costs, against a token present on one side only but not matched. */
const MISSING_COST = 0.3;
/** The default score from which a listed name is reported; chosen on the labelled set's curve (see README). */
export const DEFAULT_THRESHOLD = 0.85;

const weightOf = (t: NameToken) => (t.initial ? 0.5 : t.particle ? 0.3 : 1);

/**
 * How alike two tokens are, in [0, 1]. Tokens that do not begin alike (in one sound group, see `startAlike`)
 * do not match: the first letter is the one least often mistyped, and respellings that change it (Kh/H,
 * Ph/F, Tch/Ch, W/V, Ye/E) are folded beforehand - which also lets screening look only where a query token
 * can match.
 */
export function tokenSimilarity(a: NameToken, b: NameToken): number {
  if (a.initial || b.initial)
    return a.first === b.first ? (a.initial && b.initial ? 1 : INITIAL_SIMILARITY) : 0;
  if (a.text === b.text) return 1;
  if (!startAlike(a, b)) return 0;
  // Arabic or Hebrew script against Latin: only the consonants can be compared.
  if (a.abjad !== b.abjad) return jaroWinkler(a.skeleton, b.skeleton);
  const [short, long] = a.text.length <= b.text.length ? [a.text, b.text] : [b.text, a.text];
  // One letter in three is not a typo: Li/Lu, Xu/Xue are other names.
  if (short.length <= 3) return 0;
  if (long.startsWith(short) && short.length / long.length <= TRUNCATION) return 0;
  // A grammatical gender: Popov/Popova, Aleksandr/Aleksandra, Yevgeniy/Yevgeniya are other people.
  if (long === `${short}a` && /[^aeou]$/.test(short)) return 0;
  const similarity = jaroWinkler(a.text, b.text);
  return a.skeleton.length >= 2 && a.skeleton === b.skeleton
    ? Math.max(similarity, VOWEL_VARIANT)
    : similarity;
}

export const credit = (similarity: number) =>
  similarity < MATCH_FLOOR ? 0 : (similarity - CREDIT_BASE) / (1 - CREDIT_BASE);

/**
 * The best assignment of the tokens of `a` to those of `b` (by total credit, weighted by both tokens'
 * weights), as the matched index of each token of `a` or -1: exact over the subsets of the shorter side up to
 * 10 tokens, greedy beyond.
 */
function assign(a: NameToken[], b: NameToken[], credits: number[][]): number[] {
  const pairValue = (i: number, j: number) =>
    (credits[i]?.[j] as number) * (weightOf(a[i] as NameToken) + weightOf(b[j] as NameToken));
  const match = new Array<number>(a.length).fill(-1);
  if (b.length > 10) {
    const pairs = a.flatMap((_, i) => b.map((_, j) => [pairValue(i, j), i, j] as const));
    const usedB = new Set<number>();
    for (const [value, i, j] of pairs.sort((x, y) => y[0] - x[0])) {
      if (value <= 0 || match[i] !== -1 || usedB.has(j)) continue;
      match[i] = j;
      usedB.add(j);
    }
    return match;
  }
  // best[i][mask]: the most credit from a's first i tokens using b's tokens in mask.
  const states = 1 << b.length;
  const best = new Float64Array((a.length + 1) * states).fill(-1);
  best[0] = 0;
  for (let i = 0; i < a.length; i++) {
    for (let mask = 0; mask < states; mask++) {
      const here = best[i * states + mask] as number;
      if (here < 0) continue;
      const skip = (i + 1) * states + mask;
      if (here > (best[skip] as number)) best[skip] = here;
      for (let j = 0; j < b.length; j++) {
        if (mask & (1 << j)) continue;
        const value = pairValue(i, j);
        const next = (i + 1) * states + (mask | (1 << j));
        if (value > 0 && here + value > (best[next] as number)) best[next] = here + value;
      }
    }
  }
  let mask = 0;
  for (let m = 1; m < states; m++)
    if ((best[a.length * states + m] as number) > (best[a.length * states + mask] as number)) mask = m;
  for (let i = a.length - 1; i >= 0; i--) {
    const total = best[(i + 1) * states + mask] as number;
    if (best[i * states + mask] === total) continue;
    for (let j = 0; j < b.length; j++) {
      if (
        mask & (1 << j) &&
        Math.abs((best[i * states + (mask ^ (1 << j))] as number) + pairValue(i, j) - total) < 1e-9
      ) {
        match[i] = j;
        mask ^= 1 << j;
        break;
      }
    }
  }
  return match;
}

/** How alike two tokens are; screening passes one that remembers what it computed for a query. */
export type TokenSimilarity = (a: NameToken, b: NameToken) => number;

/** The score of two token lists as they are, no token merged. */
function scoreTokens(a: NameToken[], b: NameToken[], similarity: TokenSimilarity): number {
  if (a.length === 0 || b.length === 0) return 0;
  const credits = a.map((x) => b.map((y) => credit(similarity(x, y))));
  const match = assign(a, b, credits);
  const matchedB = new Set(match.filter((j) => j >= 0));
  const unmatchedA = a.filter((_, i) => match[i] === -1);
  const unmatchedB = b.filter((_, j) => !matchedB.has(j));
  // A token only one side has may have been left out; one on each side is a different name.
  const oneSided = unmatchedA.every((t) => t.particle) || unmatchedB.every((t) => t.particle);
  const cost = (t: NameToken) => weightOf(t) * (oneSided && !t.core ? MISSING_COST : 1);
  let earned = 0;
  let possible = 0;
  match.forEach((j, i) => {
    if (j < 0) return;
    const weight = weightOf(a[i] as NameToken) + weightOf(b[j] as NameToken);
    earned += (credits[i]?.[j] as number) * weight;
    possible += weight;
  });
  for (const t of [...unmatchedA, ...unmatchedB]) possible += cost(t);
  return earned / possible;
}

/** A run of two or three adjacent tokens written as one word (Abdul Rahman / Abdulrahman, Xiao Ming). */
export interface MergedRun {
  start: number;
  length: number;
  token: NameToken;
}

export function mergedRuns(tokens: NameToken[]): MergedRun[] {
  const runs: MergedRun[] = [];
  for (let length = 2; length <= 3; length++) {
    for (let start = 0; start + length <= tokens.length; start++) {
      const run = tokens.slice(start, start + length);
      // Not an initial, and not a particle at the end: "Khalid al" is not one word, "Abd al-Karim" may be.
      if (run.some((t) => t.initial) || (run[run.length - 1] as NameToken).particle) continue;
      const text = foldToken(run.map((t) => t.text).join(""));
      const token: NameToken = {
        text,
        skeleton: skeletonOf(text),
        abjad: run.some((t) => t.abjad),
        initial: false,
        first: (run[0] as NameToken).first,
        particle: false,
        core: run.some((t) => t.core),
      };
      runs.push({ start, length, token });
    }
  }
  return runs;
}

const withRun = (tokens: NameToken[], run: MergedRun) => [
  ...tokens.slice(0, run.start),
  run.token,
  ...tokens.slice(run.start + run.length),
];

export interface ScoreOptions {
  similarity?: TokenSimilarity;
  /** `mergedRuns` of either side, when already known. */
  runsA?: MergedRun[];
  runsB?: MergedRun[];
}

/** Letters that may begin the same name in different spellings: vowels and glides, c/k/q, s/z. */
export const soundGroup = (letter: string) =>
  "aeiouyj".includes(letter) ? "a" : "ckq".includes(letter) ? "k" : "sz".includes(letter) ? "s" : letter;

/** Whether two tokens begin alike: in the same sound group, or (Arabic, Hebrew) with the same consonant. */
export const startAlike = (a: NameToken, b: NameToken) =>
  a.abjad || b.abjad
    ? a.skeleton[0] === b.skeleton[0]
    : soundGroup(a.text[0] as string) === soundGroup(b.text[0] as string);

/**
 * The runs of either side whose merged word matches a token of the other side that begins alike: the merges
 * worth scoring (the first letters spare comparing most runs at all when screening a list).
 */
export function matchingRuns(a: NameToken[], b: NameToken[], options: ScoreOptions = {}) {
  const { similarity = tokenSimilarity, runsA = mergedRuns(a), runsB = mergedRuns(b) } = options;
  return {
    a: runsA.filter((run) => b.some((y) => mergeMatches(y, run.token, similarity))),
    b: runsB.filter((run) => a.some((x) => mergeMatches(x, run.token, similarity))),
  };
}

/**
 * Whether a merged run's word counts as matching a token of the other side: one of about its length (a much
 * shorter token is the run's first word, compared already; consonants are what is compared with Arabic or
 * Hebrew script), beginning alike, and similar.
 */
export function mergeMatches(token: NameToken, merged: NameToken, similarity: TokenSimilarity) {
  const [x, y] = token.abjad || merged.abjad ? [token.skeleton, merged.skeleton] : [token.text, merged.text];
  return (
    Math.min(x.length, y.length) / Math.max(x.length, y.length) > TRUNCATION &&
    startAlike(token, merged) &&
    similarity(token, merged) >= MATCH_FLOOR
  );
}

/**
 * How alike two tokenised names are, in [0, 1]: the best of the tokens as written and with one run of either
 * side merged - a merge counts only where the merged word matches a token of the other side.
 */
export function scoreNames(a: NameToken[], b: NameToken[], options: ScoreOptions = {}): number {
  const similarity = options.similarity ?? tokenSimilarity;
  let best = scoreTokens(a, b, similarity);
  if (best === 1) return 1;
  const runs = matchingRuns(a, b, options);
  for (const run of runs.a) best = Math.max(best, scoreTokens(withRun(a, run), b, similarity));
  for (const run of runs.b) best = Math.max(best, scoreTokens(a, withRun(b, run), similarity));
  return best;
}

/**
 * The most `scoreNames` can give two names, no merge counted, knowing only each token's best credit against
 * the other side (`best`, 0 where it matches nothing): the best set of tokens matched at their best credit,
 * every other token costing the least a token can. Screening scores in full only the names this leaves in.
 */
export function scoreBound(a: NameToken[], b: NameToken[], best: (side: 0 | 1, index: number) => number) {
  const tokens = [
    ...a.map((t, i) => [weightOf(t), best(0, i)]),
    ...b.map((t, i) => [weightOf(t), best(1, i)]),
  ];
  tokens.sort((x, y) => (y[1] as number) - (x[1] as number));
  let lost = tokens.reduce((sum, [weight]) => sum + (weight as number) * MISSING_COST, 0);
  let earned = 0;
  let matched = 0;
  let bound = 0;
  for (const [weight, best] of tokens as Array<[number, number]>) {
    if (best <= 0) break;
    earned += best * weight;
    matched += weight;
    lost -= weight * MISSING_COST;
    bound = Math.max(bound, earned / (matched + lost));
  }
  return bound;
}

/** How alike two names are, in [0, 1]. */
export function nameSimilarity(a: string, b: string, kinds: [NameKind, NameKind] = ["unknown", "unknown"]) {
  return scoreNames(normalizeName(a, kinds[0]), normalizeName(b, kinds[1]));
}
