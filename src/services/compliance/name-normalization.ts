/**
 * A name as comparable tokens: transliterated to ASCII, case-folded, stripped of punctuation and diacritics,
 * `LAST, First` put in reading order, titles and legal forms dropped, and common transliteration variants
 * folded together (Mohammed/Muhammad, -ov/-off/-ow, ou/u, ph/f, kh/h, y/i...).
 *
 * Transliteration is any-ascii's: one table for every script, pure JavaScript with no runtime dependency
 * (it bundles for workerd as is), and on names it gives the usual romanisations - BGN/PCGN-like Cyrillic
 * (Shcheglov, Yuriy), ELOT Greek (Christos), pinyin for Chinese, Revised Romanisation for Korean, and for
 * Arabic and Hebrew the consonants alone. `transliteration` spaces CJK but breaks Korean (gimjeongceol) and
 * writes Arabic 'ain as "aa"; `@sindresorhus/transliterate` leaves CJK, Hebrew and Korean untouched.
 */
import anyAscii from "any-ascii";

export type NameKind = "individual" | "entity" | "unknown";

export interface NameToken {
  /** The folded Latin form. */
  text: string;
  /** Consonants only: how a token from a script that omits short vowels is compared with a Latin one. */
  skeleton: string;
  /** Written in Arabic or Hebrew script, which omit short vowels. */
  abjad: boolean;
  /** A single letter standing for a name ("J."). */
  initial: boolean;
  /** The token's first letter before folding, for matching an initial. */
  first: string;
  /** al, bin, van, de...: part of a name, but weak evidence on its own. */
  particle: boolean;
  /** A first or last name; an interior one (a middle name, a patronymic) may be left out. */
  core: boolean;
}

/** Titles and honorifics, dropped from the front of a person's name. */
const HONORIFICS = new Set(
  (
    "mr mrs ms miss mx dr prof professor sir dame lord lady rev fr sheikh sheik shaikh shaykh sayyed haji hajji " +
    "hadji hajj mullah mulla maulana mawlana imam ayatollah hojatoleslam hon gen general col colonel maj major " +
    "capt captain lt lieutenant sgt adm admiral cmdr commander brig brigadier"
  ).split(" "),
);

/** Legal forms of companies, dropped from either end of an entity's name. */
const LEGAL_FORMS = new Set(
  (
    "llc llp lp ltd limited inc incorporated corp corporation co company plc gmbh mbh ag kg ohg se sa sas sarl " +
    "sau spa srl sl bv nv ab as asa oy oyj aps jsc ojsc cjsc pjsc ooo oao zao pao ao tov pp ltda sac cia fze fzco " +
    "fzc fzllc dmcc pte pty bhd sdn kft zrt doo dd sro tbk pt cv"
  ).split(" "),
);

/** Particles: articles, `son of`, nobiliary and linking words. */
const PARTICLES = new Set(
  "al el ul bin ibn ben bint bnt bn de da di del della der den van von la le du dos das of the and for und et".split(
    " ",
  ),
);

const ABJAD = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}]/u;
const HAN_OR_HANGUL = /([\p{Script=Han}\p{Script=Hangul}])/gu;

/**
 * Latin, Greek, Arabic and Hebrew lose their combining marks before transliteration (accents, harakat,
 * niqqud: a name is not always written with them); others keep theirs, where a mark is a vowel or a letter.
 */
const stripMarks = (text: string) =>
  text
    .normalize("NFD")
    .replace(/([\p{Script=Latin}\p{Script=Greek}\p{Script=Arabic}\p{Script=Hebrew}])\p{M}+/gu, "$1")
    .normalize("NFC");

/** Greek digraphs any-ascii writes letter by letter (ου as "oy", αυ as "ay"). */
const greek = (text: string) =>
  text.replace(/ου/g, "ou").replace(/αυ/g, "av").replace(/ευ/g, "ev").replace(/γγ/g, "ng");

/** Arabic: the article joined to a word (الحسن) goes, as "al-" is split off a Latin name; ta marbuta is a vowel. */
const arabic = (word: string) => word.replace(/^ال(?=\p{L}{2})/u, "").replace(/ة/g, "");

/** Korean: Revised Romanisation against the McCune-Reischauer forms names are usually written in (Gim/Kim). */
const hangul = (syllable: string) =>
  syllable
    .replace(/^g/, "k")
    .replace(/^d/, "t")
    .replace(/^b/, "p")
    .replace(/(?<!n)g$/, "k")
    .replace(/b$/, "p")
    .replace(/eo/g, "o")
    .replace(/eu/g, "u");

/** Variants of one sound or one name, in order: each rule sees the output of the ones before. */
const FOLDS: Array<[RegExp, string]> = [
  [/^(m[ou]ha?m+[ae]d|mohd|mehmed|mehmet)$/, "muhammad"],
  [/tsch/g, "ch"],
  [/shch/g, "sh"],
  [/sch/g, "sh"],
  [/tch/g, "ch"],
  [/kh/g, "h"],
  [/gh/g, "g"],
  [/dh/g, "d"],
  [/ph/g, "f"],
  [/ck/g, "k"],
  [/q/g, "k"],
  [/c(?=[aou])/g, "k"],
  [/(?<=.)x/g, "ks"],
  [/w/g, "v"],
  [/(?:o|e)ff$/, "ov"],
  // Russian ё, written yo (Fyodor, Pyotr) or e (Fedor, Petr).
  [/(?<=[^aeiou])yo/g, "e"],
  [/ou|oo/g, "u"],
  // Я, Ю, Е as Ya/Ja/Ia, Yu/Ju/Iu, Ye/Je: a glide before a vowel at the start is one sound.
  [/^[ijy](?=[aeou])/, "y"],
  [/(?<=.)y/g, "i"],
  [/j$/, "i"],
  [/(.)\1+/g, "$1"],
];

/**
 * `transform` remembering its results: a list repeats its tokens (given names, company words) many times, and
 * a dozen regular expressions per token are most of the cost of preparing one. Bounded, for a long-lived isolate.
 */
function remembered(transform: (token: string) => string): (token: string) => string {
  const results = new Map<string, string>();
  return (token) => {
    let result = results.get(token);
    if (result === undefined) {
      result = transform(token);
      if (results.size >= 100_000) results.clear();
      results.set(token, result);
    }
    return result;
  };
}

export const foldToken = remembered((token) =>
  FOLDS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), token),
);

/** The consonants of a folded token, vowels and the glides v/w/y (but a leading one) left out. */
export const skeletonOf = remembered((text) =>
  text
    .replace(/[aeiou]/g, "")
    .replace(/(?<=.)[vwy]/g, "")
    .replace(/(.)\1+/g, "$1"),
);

interface RawToken {
  text: string;
  script: "latin" | "abjad" | "cjk";
}

/** One part of a name (the given names, or the surname) as raw ASCII tokens. */
function tokenize(part: string): RawToken[] {
  const tokens: RawToken[] = [];
  const lower = part.toLowerCase();
  const plain = /^\p{ASCII}*$/u.test(lower);
  const spaced = plain ? lower : greek(stripMarks(lower)).replace(HAN_OR_HANGUL, " $1 ");
  for (const word of spaced.split(/\s+/)) {
    if (!word) continue;
    const abjad = !plain && ABJAD.test(word);
    const cjk = !plain && !abjad && /[\p{Script=Han}\p{Script=Hangul}]/u.test(word);
    let ascii = plain ? word : anyAscii(abjad ? arabic(word) : word).toLowerCase();
    if (cjk && /\p{Script=Hangul}/u.test(word)) ascii = hangul(ascii);
    ascii = ascii.replace(/['`’‘ʼʻ"]/g, "");
    // "S.A." is a legal form, "J.E." two initials: dotted letters are joined only when they spell a legal form.
    const dotted = /^(?:[a-z]\.)+[a-z]?\.?$/.test(ascii) ? ascii.replace(/\./g, "") : null;
    const pieces = dotted && LEGAL_FORMS.has(dotted) ? [dotted] : ascii.split(/[^a-z0-9]+/);
    for (const text of pieces)
      if (text) tokens.push({ text, script: abjad ? "abjad" : cjk ? "cjk" : "latin" });
  }
  return tokens;
}

/** `LAST, First Middle` as [given, surname], or null when the name is not written that way. */
function invertedParts(name: string, kind: NameKind): [string, string] | null {
  if (kind === "entity") return null;
  const parts = name.split(",");
  if (parts.length !== 2) return null;
  const [surname, given] = parts as [string, string];
  if (!given.trim() || !surname.trim()) return null;
  return [given, surname];
}

/** Drops legal forms from both ends, two-letter ones (SA, AO, Co...) only from names of three tokens or more. */
function withoutLegalForms(tokens: RawToken[]): RawToken[] {
  const legal = (t: RawToken | undefined, length: number) =>
    t !== undefined && LEGAL_FORMS.has(t.text) && (t.text.length > 2 || length > 2);
  const kept = [...tokens];
  while (kept.length > 1 && legal(kept[kept.length - 1], kept.length)) kept.pop();
  while (kept.length > 1 && legal(kept[0], kept.length)) kept.shift();
  return kept;
}

/**
 * A name's tokens in reading order. `kind` says whether the name is a person's (`LAST, First` is inverted,
 * no legal form is dropped), an entity's (no title is dropped, a comma is just punctuation), or not known (a
 * query: both, where they apply).
 */
export function normalizeName(name: string, kind: NameKind = "unknown"): NameToken[] {
  let text = name.normalize("NFKC");
  // "CECOEX, S.A.": what follows an entity's last comma may be its legal form alone, whatever its length.
  const tail = kind === "individual" ? null : /,([^,]*)$/.exec(text);
  if (tail && tokenize(tail[1] as string).every((t) => LEGAL_FORMS.has(t.text)))
    text = text.slice(0, tail.index);
  const inverted = invertedParts(text, kind);
  const given = tokenize(inverted ? inverted[0] : text);
  const surname = inverted ? tokenize(inverted[1]) : [];
  let raw = [...given, ...surname];
  let surnameStart = given.length;
  if (kind !== "entity") {
    let titles = 0;
    const title = (t: RawToken) => t.script === "latin" && HONORIFICS.has(t.text);
    while (titles < given.length - 1 && title(given[titles] as RawToken)) titles++;
    raw = raw.slice(titles);
    surnameStart -= titles;
  }
  if (kind !== "individual" && !inverted) raw = withoutLegalForms(raw);
  const tokens = raw.map((t): NameToken => {
    const folded = foldToken(t.text);
    const particle = PARTICLES.has(t.text) || PARTICLES.has(folded);
    return {
      text: folded,
      skeleton: skeletonOf(folded),
      abjad: t.script === "abjad",
      initial: t.script === "latin" && t.text.length === 1 && /[a-z]/.test(t.text) && !particle,
      first: t.text[0] as string,
      particle,
      core: false,
    };
  });
  // The first given name and the first surname are core; without a surname, the first and the last token.
  const named = (from: number, to: number, step: number) => {
    for (let i = from; i !== to; i += step) if (!(tokens[i] as NameToken).particle) return i;
    return -1;
  };
  const cores = inverted
    ? [named(0, surnameStart, 1), named(surnameStart, tokens.length, 1)]
    : [named(0, tokens.length, 1), named(tokens.length - 1, -1, -1)];
  for (const i of cores) if (i >= 0) (tokens[i] as NameToken).core = true;
  return tokens;
}
