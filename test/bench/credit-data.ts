import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";

/**
 * The credit models' training applications (models/data/credit_data.csv, 4,454 rows) as CSV records in the
 * API's field names (lower case); `NA` becomes an empty cell, which the API imputes. The outcome is dropped.
 */
export function creditApplications(): Array<Record<string, string>> {
  const file = new URL("../../models/data/credit_data.csv", import.meta.url);
  const records = parse(readFileSync(file), { columns: true }) as Array<Record<string, string>>;
  return records.map((record) =>
    Object.fromEntries(
      Object.entries(record)
        .filter(([column]) => column !== "Status")
        .map(([column, value]) => [column.toLowerCase(), value === "NA" ? "" : value]),
    ),
  );
}
