import fc from "fast-check";

// Bidi overrides and isolates (Trojan Source), zero-width and BOM, NUL and C1 controls, line separators,
// lone surrogates (not valid UTF-16), non-characters, combining marks, quote and escape characters.
export const NASTY_UNITS = [
  "\u0000",
  "\u0007",
  "\u001b",
  "\u0085",
  "\u202e",
  "\u202d",
  "\u200f",
  "\u200e",
  "\u2066",
  "\u2069",
  "\u200b",
  "\u200d",
  "\ufeff",
  "\u2028",
  "\u2029",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
  "\ufffe",
  "\uffff",
  "e\u0301",
  "\u{1d54f}",
  "\u{1f469}\u200d\u{1f4bb}",
  '"',
  "\\",
  "'",
  "`",
  "<",
  "%",
  "\r\n",
  "\t",
] as const;

/**
 * Every nasty unit, packed into as few strings as fit `maxLength` code points, each at least `minLength`
 * long: a deterministic sweep that random runs might miss.
 */
export function nastyTexts(minLength = 0, maxLength = 64): string[] {
  const texts: string[] = [];
  let current = "";
  for (const unit of NASTY_UNITS) {
    if ([...current].length + [...unit].length > maxLength && current) {
      texts.push(current);
      current = "";
    }
    current += unit;
  }
  if (current) texts.push(current);
  return texts.map((text) => (text.length < minLength ? text.padEnd(minLength, "a") : text));
}

/** One "character": a nasty unit, any code point (surrogates included), or printable ASCII. */
export const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_UNITS), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 2 },
);

/** Strings of hostile units; lengths count units, which may be several UTF-16 code units each. */
export const hostileString = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc.string({ unit: hostileUnit, maxLength: 24, ...constraints });

/** Values that injection-minded inputs try: SQL, path traversal, templates, prototype keys. */
export const INJECTIONS = [
  "' OR '1'='1",
  "1; DROP TABLE users; --",
  "00000000-0000-0000-0000-000000000000' OR '1'='1",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "$" + "{7*7}{{7*7}}",
  "<script>alert(1)</script>",
  "__proto__",
  "constructor",
  "%00",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-1",
  "1e999",
  "0x10",
  "99999999999999999999999",
  "",
  " ",
] as const;

/**
 * A string of at least `minCodePoints` code points (so it is too long under either way of counting) and up
 * to about 100 KB: a hostile chunk repeated.
 */
export const hugeString = (minCodePoints: number, maxCodePoints = 100_000) =>
  fc
    .tuple(
      fc.integer({ min: Math.min(minCodePoints, maxCodePoints), max: maxCodePoints }),
      hostileString({ minLength: 1, maxLength: 6 }),
    )
    .map(([target, chunk]) => {
      const length = Math.max(1, [...chunk].length);
      const text = chunk.repeat(Math.ceil(Math.max(target, minCodePoints) / length));
      // A field that trims before it counts (zod's .trim().max()) must still find it too long.
      const missing = minCodePoints - [...text.trim()].length;
      return missing > 0 ? `${text}${"x".repeat(missing)}` : text;
    });

/** A JSON number token as text (`1e999`, 30 digits), spliced into the body as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with {@link RawJson} values written verbatim. */
export function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v instanceof RawJson ? `\u0000raw:${raws.push(v.text) - 1}\u0000` : v,
  );
  return text.replace(/"\\u0000raw:(\d+)\\u0000"/g, (_, index: string) => raws[Number(index)] ?? "null");
}

/** Whether bytes as a client would send them (UTF-8, so lone surrogates become U+FFFD) parse as JSON. */
export function parsesAsJson(text: string): boolean {
  const sent = new TextDecoder().decode(new TextEncoder().encode(text)).replace(/^\ufeff/, "");
  try {
    JSON.parse(sent);
    return true;
  } catch {
    return false;
  }
}
