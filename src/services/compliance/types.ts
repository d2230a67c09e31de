/** The compliance domain's vocabularies, for routes and views (which do not reach into db). */

export type { AlertRow, NewAlert } from "../../db/repositories/alerts.repository";
export type {
  CaseAttachmentRow,
  CaseNoteRow,
  CaseRow,
  SarAmountRow,
  SarRow,
} from "../../db/repositories/cases.repository";
export {
  ALERT_KINDS,
  ALERT_STATUSES,
  type AlertKind,
  type AlertStatus,
  CASE_STATUSES,
  type CaseStatus,
  CUSTOMER_KINDS,
  type CustomerKind,
  KYC_STATUSES,
  type KycStatus,
  RISK_RATINGS,
  type RiskRating,
  SANCTIONS_LIST_STATUSES,
  SANCTIONS_MATCH_ORIGINS,
  SANCTIONS_MATCH_STATUSES,
  SAR_STATUSES,
  type SanctionsListStatus,
  type SanctionsMatchOrigin,
  type SanctionsMatchStatus,
  type SarStatus,
  VERIFICATION_STATUSES,
  type VerificationStatus,
} from "../../db/schema";
