/** The compliance domain's vocabularies, for routes and views (which do not reach into db). */
export {
  CUSTOMER_KINDS,
  type CustomerKind,
  KYC_STATUSES,
  type KycStatus,
  RISK_RATINGS,
  type RiskRating,
  SANCTIONS_LIST_STATUSES,
  SANCTIONS_MATCH_ORIGINS,
  SANCTIONS_MATCH_STATUSES,
  type SanctionsListStatus,
  type SanctionsMatchOrigin,
  type SanctionsMatchStatus,
} from "../../db/schema";
