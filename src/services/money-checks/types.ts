/** The money check's vocabularies and policy shape, for routes and views (which do not reach into db). */
export {
  BLOCKLIST_KINDS,
  type BlocklistKind,
  CTR_DIRECTIONS,
  MONEY_DECISIONS,
  type MoneyDecision,
  REVIEW_STATUSES,
  type ReviewStatus,
} from "../../db/schema";
export { PolicySchema } from "./policy";
