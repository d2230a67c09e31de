/**
 * Corporate model input from a company's filed statements or from statements sent inline: the object the
 * manifest's feature builder reads (amounts as numbers), the figures the credit ratios are computed from,
 * and which stored statements were used.
 */
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import { companyById } from "../../db/repositories/companies.repository";
import {
  latestAnnualStatements,
  recentQuarters,
  type StatementRow,
} from "../../db/repositories/statements.repository";
import { AppError } from "../../errors";
import type { Manifest } from "../../ml/manifest";
import type { Figures } from "../../ml/ratios";
import { companyNotFound } from "./companies";
import { STATEMENT_AMOUNTS, toNumber } from "./statement-rules";

export interface CorporateInput {
  input: Record<string, unknown>;
  /** Annual: one statement's figures; quarterly: one per quarter, most recent first. */
  figures: Figures[];
  statementIds: string[] | null;
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A stored statement's amounts by wire name, as numbers (absent when not reported). */
export function figuresOf(row: StatementRow): Figures {
  const values = row as unknown as Record<string, string | null>;
  return Object.fromEntries(
    STATEMENT_AMOUNTS.flatMap((name) => {
      const value = toNumber(values[camel(name)]);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** Inline amounts (canonical decimal strings) as numbers. */
export function figuresOfInline(statement: Partial<Record<string, string>>): Figures {
  return Object.fromEntries(
    Object.entries(statement).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Number(value)]],
    ),
  );
}

const unprocessable = (pointer: string, message: string) =>
  new AppError("validation_failed", message, {
    errors: [{ location: "body", pointer, message, code: "missing_statement" }],
  });

/** The manifest's monetary unit (e.g. USD) must be the statements' currency. */
function requireCurrency(manifest: Manifest, currency: string) {
  const unit = manifest.rawInput.kind === "loan-application" ? undefined : manifest.rawInput.fields[0]?.unit;
  if (unit && /^[A-Z]{3}$/.test(unit) && unit !== currency) {
    throw unprocessable(
      "/company_id",
      `Model ${manifest.name} takes ${unit} statements; the company reports in ${currency}.`,
    );
  }
}

/** The company and its statements a prediction reads, as statements of one batch. */
export interface StoredStatements {
  company: unknown;
  statements: StatementRow[];
}

/** What `annualFromCompany` needs: the company and its latest two annual statements (up to `fiscalYear`). */
export const annualReads = (
  db: Querier,
  tenantId: string,
  companyId: string,
  fiscalYear: number | undefined,
) => ({
  company: read(companyById(db, tenantId, companyId), (rows) => rows[0]),
  statements: read(latestAnnualStatements(db, tenantId, companyId, fiscalYear)),
});

/** A company's annual statement (the latest, or `fiscalYear`'s), with the prior year's net income. */
export function annualFromCompany(
  found: StoredStatements,
  manifest: Manifest,
  fiscalYear: number | undefined,
): CorporateInput {
  if (!found.company) throw companyNotFound();
  const [row, before] = found.statements;
  if (!row || (fiscalYear !== undefined && row.fiscalYear !== fiscalYear))
    throw unprocessable(
      "/company_id",
      `No annual statement${fiscalYear ? ` for ${fiscalYear}` : ""} is on file.`,
    );
  requireCurrency(manifest, row.currency);
  const figures = figuresOf(row);
  const ids = [row.id];
  if (figures.net_income_prior === undefined) {
    const prior = before?.fiscalYear === row.fiscalYear - 1 ? before : undefined;
    if (!prior) {
      throw unprocessable(
        "/company_id",
        `The ${row.fiscalYear} statement has no net_income_prior and no ${row.fiscalYear - 1} statement is on file.`,
      );
    }
    figures.net_income_prior = toNumber(prior.netIncome);
    ids.push(prior.id);
  }
  return { input: { ...figures }, figures: [figures], statementIds: ids };
}

const quarterIndex = (row: StatementRow) => row.fiscalYear * 4 + (row.fiscalQuarter ?? 0);

/** The number of quarters a quarterly model reads. */
export function quartersOf(manifest: Manifest): number {
  if (manifest.rawInput.kind !== "quarterly-statements") throw new Error("not a quarterly model");
  return manifest.rawInput.quarters;
}

/** What `quarterlyFromCompany` needs: the company and its last `count` quarters (ending at `upTo`). */
export const quarterlyReads = (
  db: Querier,
  tenantId: string,
  companyId: string,
  upTo: { year: number; quarter: number } | undefined,
  count: number,
) => ({
  company: read(companyById(db, tenantId, companyId), (rows) => rows[0]),
  statements: read(recentQuarters(db, tenantId, companyId, { upTo, count })),
});

/** A company's last consecutive quarters (as many as the model reads), most recent first. */
export function quarterlyFromCompany(found: StoredStatements, manifest: Manifest): CorporateInput {
  const count = quartersOf(manifest);
  if (!found.company) throw companyNotFound();
  const rows = found.statements;
  const gap = rows.findIndex(
    (row, i) => i > 0 && quarterIndex(rows[i - 1] as StatementRow) - quarterIndex(row) !== 1,
  );
  if (rows.length < count || gap >= 0) {
    throw unprocessable(
      "/company_id",
      `Model ${manifest.name} needs ${count} consecutive quarterly statements; ${gap >= 0 ? "there is a gap" : `${rows.length} are on file`}.`,
    );
  }
  for (const row of rows) requireCurrency(manifest, row.currency);
  const figures = rows.map(figuresOf);
  return { input: { quarters: figures }, figures, statementIds: rows.map((r) => r.id) };
}
