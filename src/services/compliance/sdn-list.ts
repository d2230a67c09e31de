/**
 * The OFAC SDN list in its legacy CSV form, as OFAC publishes it: `sdn.csv` (one row per listed party) and
 * optionally `alt.csv` (its aliases). Neither has a header row; text fields are quoted, `-0-` (written
 * `-0- `, with a trailing space) is a null, SDN_Type is `individual`, `vessel`, `aircraft` or null for an
 * entity, several programs share one field as `SDGT] [SYRIA`, an individual is named `LAST, First Middle`,
 * and the file may end with a line holding only a control character (Ctrl-Z). Weak ("low quality") aliases
 * are not in `alt.csv` but in the remarks, as `a.k.a. 'NAME'`.
 *
 * A malformed row is reported with its line and left out, the rest read; a file that is not in this format
 * at all is refused with an `SdnFormatError`, so that a wrong download never silently empties a list.
 */
import { parse } from "csv-parse/sync";
import { csvFields } from "../risk/bulk-format";

export type SdnType = "individual" | "entity" | "vessel" | "aircraft";
export type AliasType = "aka" | "fka" | "nka";

export interface SdnAlias {
  name: string;
  type: AliasType;
  /** A low-quality alias (from the remarks): a match on it alone is weaker evidence. */
  weak: boolean;
}

export interface SdnEntry {
  id: number;
  /** As listed; an individual's is `LAST, First Middle`. */
  name: string;
  type: SdnType;
  programs: string[];
  remarks: string | null;
  aliases: SdnAlias[];
}

export type SdnFile = "sdn" | "alt";

export interface SdnProblem {
  file: SdnFile;
  /** 1-based, as a text editor shows it. */
  line: number;
  reason: string;
}

/** The text is not an SDN `sdn.csv` / `alt.csv` at all (or holds no row of one). */
export class SdnFormatError extends Error {
  constructor(
    readonly file: SdnFile,
    message: string,
  ) {
    super(message);
    this.name = "SdnFormatError";
  }
}

const SDN_FIELDS = 12;
const ALT_FIELDS = 5;
/** How many of a file's first rows decide whether it is in the format at all. */
const SNIFF_ROWS = 50;

/** One physical line of a file and its fields, or why it could not be read as CSV. */
type Row = { line: number } & ({ fields: string[] } | { error: string });

const nullable = (field: string | undefined) => {
  const value = (field ?? "").trim();
  return value === "" || value === "-0-" ? null : value;
};

/** A line with nothing but white space and control characters, such as the file's final Ctrl-Z. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to recognise them.
const isBlank = (line: string) => /^[\s\x00-\x1f\x7f]*$/.test(line);

/**
 * Every non-blank line's fields. SDN records never span lines, so a line is a record: the file is read in one
 * pass of the parser (its cost is per pass as much as per record), and only when that pass met an error are
 * the lines it could not account for read one by one - a stray quote then costs its own line, not the rest.
 */
function readRows(text: string): Row[] {
  const all = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const lines = all.map((content, i) => ({ content, line: i + 1 })).filter((l) => !isBlank(l.content));
  const body = lines.map((l) => l.content).join("\n");
  let failed = false;
  const options = {
    relax_column_count: true,
    skip_records_with_error: true,
    on_skip: () => {
      failed = true;
      return undefined;
    },
  };
  const records = parse(body, options) as string[][];
  if (!failed && records.length === lines.length) {
    return lines.map((l, i) => ({ line: l.line, fields: records[i] as string[] }));
  }
  // Which lines the good records came from: a record read whole is exactly one line's text.
  const unclaimed = new Map<string, number[]>();
  lines.forEach((l, i) => {
    unclaimed.set(l.content, [...(unclaimed.get(l.content) ?? []), i]);
  });
  const fields: Array<string[] | undefined> = [];
  const withRaw = parse(body, { ...options, raw: true }) as unknown as Array<{
    raw: string;
    record: string[];
  }>;
  for (const { raw, record } of withRaw) {
    const index = unclaimed.get(raw.replace(/\n$/, ""))?.shift();
    if (index !== undefined) fields[index] = record;
  }
  return lines.map((l, i) => {
    const known = fields[i];
    if (known) return { line: l.line, fields: known };
    try {
      return { line: l.line, fields: csvFields(l.content) };
    } catch (error) {
      return { line: l.line, error: `not a CSV record: ${(error as Error).message.slice(0, 160)}` };
    }
  });
}

/**
 * The rows of one file, each read by `read` (an entry or an alias, or why the row is malformed). Refuses
 * the file when it has no row, or when fewer than half of its first rows are of the format.
 */
function readFile<T>(file: SdnFile, text: string, read: (fields: string[]) => T | string) {
  const rows = readRows(text);
  const name = `${file}.csv`;
  if (rows.length === 0) throw new SdnFormatError(file, `${name} is empty`);
  const read_: Array<{ line: number; value: T } | SdnProblem> = rows.map((row) => {
    const value = "error" in row ? row.error : read(row.fields);
    return typeof value === "string" ? { file, line: row.line, reason: value } : { line: row.line, value };
  });
  const sniffed = read_.slice(0, SNIFF_ROWS);
  const bad = sniffed.filter((r) => "reason" in r) as SdnProblem[];
  if (bad.length * 2 > sniffed.length) {
    const first = bad[0] as SdnProblem;
    throw new SdnFormatError(
      file,
      `${name} is not in the OFAC SDN CSV format: ${bad.length} of its first ${sniffed.length} rows are not ` +
        `${file === "sdn" ? SDN_FIELDS : ALT_FIELDS}-field ${file} rows (line ${first.line}: ${first.reason})`,
    );
  }
  return read_;
}

const TYPES: Record<string, SdnType> = { individual: "individual", vessel: "vessel", aircraft: "aircraft" };

function readEntry(fields: string[]): SdnEntry | string {
  if (fields.length !== SDN_FIELDS) return `expected ${SDN_FIELDS} fields, found ${fields.length}`;
  const id = (fields[0] ?? "").trim();
  if (!/^\d+$/.test(id)) return `ent_num is not a number: ${JSON.stringify(id.slice(0, 40))}`;
  const name = nullable(fields[1]);
  if (name === null) return "SDN_Name is empty";
  const typeField = nullable(fields[2]);
  const type = typeField === null ? "entity" : TYPES[typeField.toLowerCase()];
  if (!type) return `unknown SDN_Type ${JSON.stringify(typeField?.slice(0, 40))}`;
  const program = nullable(fields[3]);
  const programs =
    program === null ? [] : program.split(/\]\s*\[/).map((p) => p.replace(/[[\]]/g, "").trim());
  const remarks = nullable(fields[11]);
  return {
    id: Number(id),
    name,
    type,
    programs: programs.filter(Boolean),
    remarks,
    aliases: weakAliases(remarks),
  };
}

/**
 * The weak aliases in remarks: `a.k.a. 'NAME'` (or f.k.a. / n.k.a.). A name may hold an apostrophe
 * (`'ABU-'UMAR'`), so a quote closes the name only where a separator or the end follows it.
 */
function weakAliases(remarks: string | null): SdnAlias[] {
  if (!remarks) return [];
  const aliases: SdnAlias[] = [];
  for (const match of remarks.matchAll(/\b([afn])\.k\.a\.\s+'(.+?)'(?=[;.,]?(?:\s|$))/gi)) {
    const name = (match[2] as string).trim();
    if (name)
      aliases.push({ name, type: `${(match[1] as string).toLowerCase()}ka` as AliasType, weak: true });
  }
  return aliases;
}

interface AltRow {
  entry: number;
  alias: SdnAlias;
}

function readAlias(fields: string[]): AltRow | string {
  if (fields.length !== ALT_FIELDS) return `expected ${ALT_FIELDS} fields, found ${fields.length}`;
  const [entry, altNum] = fields.map((f) => f.trim());
  if (!/^\d+$/.test(entry ?? "")) return `ent_num is not a number: ${JSON.stringify(entry?.slice(0, 40))}`;
  if (!/^\d+$/.test(altNum ?? "")) return `alt_num is not a number: ${JSON.stringify(altNum?.slice(0, 40))}`;
  const typeField = (nullable(fields[2]) ?? "").toLowerCase().replace(/\./g, "");
  if (typeField !== "aka" && typeField !== "fka" && typeField !== "nka") {
    return `unknown alt_type ${JSON.stringify(fields[2]?.trim().slice(0, 40))}`;
  }
  const name = nullable(fields[3]);
  if (name === null) return "alt_name is empty";
  const weak = /\b(weak|low quality)\b/i.test(nullable(fields[4]) ?? "");
  return { entry: Number(entry), alias: { name, type: typeField, weak } };
}

/**
 * Reads `sdn.csv` and, when given, `alt.csv`. Each entry carries its aliases: the strong ones from `alt.csv`
 * and the weak ones from its remarks. Rows that cannot be read - and an alias of an entry that is not listed,
 * or a second row for one `ent_num` - are returned as problems; the rest of the file is still read.
 */
export function parseSdnList(files: { sdn: string; alt?: string }): {
  entries: SdnEntry[];
  problems: SdnProblem[];
} {
  const problems: SdnProblem[] = [];
  const byId = new Map<number, SdnEntry>();
  for (const row of readFile("sdn", files.sdn, readEntry)) {
    if ("reason" in row) problems.push(row);
    else if (byId.has(row.value.id)) {
      problems.push({ file: "sdn", line: row.line, reason: `ent_num ${row.value.id} is listed twice` });
    } else byId.set(row.value.id, row.value);
  }
  if (files.alt !== undefined) {
    for (const row of readFile("alt", files.alt, readAlias)) {
      if ("reason" in row) {
        problems.push(row);
        continue;
      }
      const entry = byId.get(row.value.entry);
      if (!entry) {
        problems.push({
          file: "alt",
          line: row.line,
          reason: `ent_num ${row.value.entry} is not in sdn.csv`,
        });
      } else {
        // The same name among the remarks' weak aliases is the strong one when alt.csv lists it as strong.
        const { alias } = row.value;
        const known = entry.aliases.find((a) => a.name === alias.name && a.type === alias.type);
        if (!known) entry.aliases.push(alias);
        else known.weak &&= alias.weak;
      }
    }
  }
  return { entries: [...byId.values()], problems };
}
