/** The compliance domain's vocabularies, for routes and views (which do not reach into db). */
export {
  CUSTOMER_KINDS,
  type CustomerKind,
  KYC_STATUSES,
  type KycStatus,
  RISK_RATINGS,
  type RiskRating,
} from "../../db/schema";
