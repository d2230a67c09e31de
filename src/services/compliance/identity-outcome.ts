/**
 * What a provider's decision means here. The provider approves, declines, asks for another attempt or lets
 * the session lapse; an approval verifies the customer only if everything this side can check agrees - the
 * document and the selfie both clear, the document not expired, the face alike enough, the document's name
 * the customer's (the screening matcher: transliteration, token order, Jaro-Winkler) and its date of birth
 * the one stated. Anything else puts the verification before an analyst. Pure: the tests work it through.
 */
import type { KycStatus, VerificationOutcome, VerificationStatus } from "../../db/schema";
import type { ProviderEvent } from "./identity-provider";
import { DEFAULT_THRESHOLD, nameSimilarity } from "./name-matching";

/** Below this face similarity an approved selfie is not taken as the document's holder. */
export const FACE_SIMILARITY_FLOOR = 0.8;
/** Below this name similarity the document is not taken as the customer's (the screening threshold). */
export const NAME_SIMILARITY_FLOOR = DEFAULT_THRESHOLD;

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * ICAO 9303's alternative transliterations, which a document's machine-readable zone may use where the
 * plain one drops the mark (MUELLER for Müller, AASEN for Åsen): the stated name is compared both ways.
 */
const ICAO_ALTERNATIVES: ReadonlyArray<[RegExp, string]> = [
  [/[äæ]/g, "ae"],
  [/[ÄÆ]/g, "AE"],
  [/[öø]/g, "oe"],
  [/[ÖØ]/g, "OE"],
  [/ü/g, "ue"],
  [/Ü/g, "UE"],
  [/å/g, "aa"],
  [/Å/g, "AA"],
  [/ß/g, "ss"],
  [/þ/g, "th"],
  [/Þ/g, "TH"],
];

/** How alike the document's name is to the stated one, with either transliteration of the stated name. */
export function documentNameSimilarity(documentName: string, statedName: string): number {
  const alternative = ICAO_ALTERNATIVES.reduce(
    (name, [mark, letters]) => name.replace(mark, letters),
    statedName,
  );
  const kinds: ["individual", "individual"] = ["individual", "individual"];
  const plain = nameSimilarity(documentName, statedName, kinds);
  return alternative === statedName
    ? plain
    : Math.max(plain, nameSimilarity(documentName, alternative, kinds));
}

/** The verification's result from the provider's event, for a customer of `stated` identity, on `today`. */
export function assessDecision(
  event: ProviderEvent,
  stated: { name: string; date_of_birth?: string | undefined },
  today: string,
): { status: Exclude<VerificationStatus, "pending">; outcome: VerificationOutcome } {
  const { document, selfie } = event;
  const reasons = event.reasons.map((reason) => `provider:${reason}`);
  const similarity = document ? round(documentNameSimilarity(document.full_name, stated.name)) : null;
  const dateOfBirthMatches =
    document?.date_of_birth && stated.date_of_birth ? document.date_of_birth === stated.date_of_birth : null;
  const outcome = (findings: string[]): VerificationOutcome => ({
    decision: event.decision,
    document: document && {
      result: document.result,
      type: document.type,
      issuingCountry: document.issuing_country,
      expired: document.expiry_date !== null && document.expiry_date < today,
    },
    selfie: selfie && { result: selfie.result, liveness: selfie.liveness, similarity: selfie.similarity },
    nameSimilarity: similarity,
    dateOfBirthMatches,
    reasons: [...reasons, ...findings],
  });
  if (event.decision === "declined") return { status: "rejected", outcome: outcome([]) };
  if (event.decision === "expired") return { status: "expired", outcome: outcome([]) };
  if (event.decision === "resubmission_requested") {
    return { status: "resubmission_requested", outcome: outcome([]) };
  }
  const findings: string[] = [];
  if (!document) findings.push("document_missing");
  else {
    if (document.result !== "clear") findings.push("document_not_clear");
    if (document.expiry_date !== null && document.expiry_date < today) findings.push("document_expired");
    if ((similarity ?? 0) < NAME_SIMILARITY_FLOOR) findings.push("name_mismatch");
    if (document.date_of_birth === null) findings.push("date_of_birth_unread");
    else if (dateOfBirthMatches === false) findings.push("date_of_birth_mismatch");
  }
  if (!selfie) findings.push("selfie_missing");
  else {
    if (selfie.result !== "clear") findings.push("selfie_not_clear");
    if (selfie.liveness !== "clear") findings.push("liveness_not_clear");
    if (selfie.similarity < FACE_SIMILARITY_FLOOR) findings.push("face_mismatch");
  }
  return { status: findings.length === 0 ? "verified" : "needs_review", outcome: outcome(findings) };
}

/**
 * The customer's KYC standing once a verification reaches `status`, from `current`: verified at level 2 at
 * least (a checked document); rejected; a lapsed or returned attempt takes a customer it had made pending
 * back to unverified; a verification awaiting review leaves it pending. A customer verified before keeps
 * that standing while a new verification is under way or lapses.
 */
export function standingAfter(
  status: VerificationStatus,
  current: { kycStatus: KycStatus; kycLevel: number },
): { kycStatus: KycStatus; kycLevel: number } {
  switch (status) {
    case "verified":
      return { kycStatus: "verified", kycLevel: Math.max(current.kycLevel, 2) };
    case "rejected":
      return { kycStatus: "rejected", kycLevel: Math.min(current.kycLevel, 1) };
    case "pending":
      return current.kycStatus === "verified"
        ? current
        : { kycStatus: "pending", kycLevel: current.kycLevel };
    case "needs_review":
      return current;
    case "expired":
    case "resubmission_requested":
      return current.kycStatus === "pending"
        ? { kycStatus: "unverified", kycLevel: Math.min(current.kycLevel, 1) }
        : current;
  }
}
