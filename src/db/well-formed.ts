/**
 * Text as it can reach the database. A JSON body may carry lone surrogates (`"\ud800"`), which no UTF-8 text
 * can hold: sent as a column's text they become U+FFFD on the way, as a client's own UTF-8 bytes do, but
 * inside JSON handed to Postgres (`jsonb`) they stay escapes that it refuses. These replace them first.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every lone surrogate replaced by U+FFFD. */
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, "\uFFFD");

/** JSON for the database: `JSON.stringify` with every string well-formed. */
export const databaseJson = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === "string" ? wellFormed(item) : item));
