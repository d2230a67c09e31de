/**
 * A customer's risk rating, from stated factors: each factor adds points, and the sum places the customer in
 * a band. The factors are stored with the rating, so a rating can always be explained and recomputed.
 *
 * Country lists: the FATF's public lists - "high-risk jurisdictions subject to a call for action" and
 * "jurisdictions under increased monitoring" - as published in its June 2025 statements (fatf-gafi.org).
 * The lists change three times a year; they are data here, kept current with the FATF's plenaries.
 */
import type { CustomerKind, KycStatus, RiskRating } from "../../db/schema";

export const FATF_CALL_FOR_ACTION: ReadonlySet<string> = new Set(["KP", "IR", "MM"]);
export const FATF_INCREASED_MONITORING: ReadonlySet<string> = new Set([
  "DZ",
  "AO",
  "BO",
  "BG",
  "BF",
  "CM",
  "CI",
  "CD",
  "HT",
  "KE",
  "LA",
  "LB",
  "MC",
  "MZ",
  "NA",
  "NP",
  "NG",
  "ZA",
  "SS",
  "SY",
  "VE",
  "VN",
  "VG",
  "YE",
]);

/** What a rating is computed from. */
export interface RiskInputs {
  kind: CustomerKind;
  country: string;
  pep: boolean;
  kycStatus: KycStatus;
  /** Potential sanctions matches not yet cleared by an analyst. */
  openSanctionsHits: number;
  /** Sanctions matches an analyst confirmed: the customer is the listed party. */
  confirmedSanctionsHits?: number;
}

export interface RiskFactor {
  factor: string;
  points: number;
}

/** Points at or above which a customer is rated high, or medium. */
export const HIGH_RISK_POINTS = 50;
export const MEDIUM_RISK_POINTS = 20;

const KYC_POINTS: Record<KycStatus, number> = { unverified: 15, pending: 10, verified: 0, rejected: 40 };

/** The factors that apply, each with its points (factors worth nothing are left out). */
export function riskFactors(inputs: RiskInputs): RiskFactor[] {
  const factors: RiskFactor[] = [];
  if (FATF_CALL_FOR_ACTION.has(inputs.country))
    factors.push({ factor: "country_call_for_action", points: 60 });
  else if (FATF_INCREASED_MONITORING.has(inputs.country))
    factors.push({ factor: "country_increased_monitoring", points: 25 });
  if (inputs.pep) factors.push({ factor: "politically_exposed", points: 30 });
  if (inputs.kind === "entity") factors.push({ factor: "legal_entity", points: 5 });
  const kyc = KYC_POINTS[inputs.kycStatus];
  if (kyc > 0) factors.push({ factor: `kyc_${inputs.kycStatus}`, points: kyc });
  if ((inputs.confirmedSanctionsHits ?? 0) > 0)
    factors.push({ factor: "sanctions_confirmed_match", points: 100 });
  if (inputs.openSanctionsHits > 0) factors.push({ factor: "sanctions_potential_match", points: 60 });
  return factors;
}

/** The band a sum of points falls in. */
export function ratingOf(factors: RiskFactor[]): RiskRating {
  const points = factors.reduce((sum, f) => sum + f.points, 0);
  return points >= HIGH_RISK_POINTS ? "high" : points >= MEDIUM_RISK_POINTS ? "medium" : "low";
}

/** The rating and what it rests on. */
export function assessRisk(inputs: RiskInputs): { rating: RiskRating; factors: RiskFactor[] } {
  const factors = riskFactors(inputs);
  return { rating: ratingOf(factors), factors };
}
