/**
 * What identifies a customer - personal data, so it is sealed before it is stored (AES-GCM under the secrets
 * ring, bound to the customer's row) and opened only to answer a caller allowed to read it. The domain checks
 * the types cannot express live here: dates in a sane range, fields that belong to the customer's kind.
 */
import type { CustomerKind } from "../../db/schema";
import type { FieldError } from "../../errors";
import { open, type SealingKeys, seal } from "../crypto/sealed";
import { customerIdentityContext } from "../crypto/secrets-at-rest";

export interface PostalAddress {
  line1: string;
  line2?: string | undefined;
  city: string;
  postal_code?: string | undefined;
  region?: string | undefined;
  country: string;
}

/** A person's or an entity's identity, as the API names its fields. */
export interface CustomerIdentity {
  /** Full legal name: a person's, or the entity's registered name. */
  name: string;
  /** Persons: YYYY-MM-DD. */
  date_of_birth?: string | undefined;
  /** Persons: a national identity or tax number. */
  national_id?: string | undefined;
  /** Entities: the company register's number. */
  registration_number?: string | undefined;
  /** Entities: YYYY-MM-DD. */
  incorporated_on?: string | undefined;
  address?: PostalAddress | undefined;
  email?: string | undefined;
  phone?: string | undefined;
}

const PERSON_ONLY = ["date_of_birth", "national_id"] as const;
const ENTITY_ONLY = ["registration_number", "incorporated_on"] as const;

/** The oldest a person can be, and the earliest an entity still trading can have been incorporated. */
const MAX_AGE_YEARS = 125;
const EARLIEST_INCORPORATION = "1600-01-01";

const problem = (pointer: string, message: string): FieldError => ({
  location: "body",
  pointer,
  message,
  code: "invalid",
});

/** The identity's problems for a customer of `kind` at `now` (none: it may be stored). */
export function identityProblems(
  kind: CustomerKind,
  identity: CustomerIdentity,
  now: Date,
  prefix = "/identity",
): FieldError[] {
  const problems: FieldError[] = [];
  const misplaced = kind === "person" ? ENTITY_ONLY : PERSON_ONLY;
  for (const field of misplaced) {
    if (identity[field] !== undefined)
      problems.push(problem(`${prefix}/${field}`, `is not a field of a ${kind}`));
  }
  const today = now.toISOString().slice(0, 10);
  if (identity.date_of_birth !== undefined) {
    const earliest = `${now.getUTCFullYear() - MAX_AGE_YEARS}${today.slice(4)}`;
    if (identity.date_of_birth > today) problems.push(problem(`${prefix}/date_of_birth`, "is in the future"));
    else if (identity.date_of_birth < earliest)
      problems.push(problem(`${prefix}/date_of_birth`, `is more than ${MAX_AGE_YEARS} years ago`));
  }
  if (identity.incorporated_on !== undefined) {
    if (identity.incorporated_on > today)
      problems.push(problem(`${prefix}/incorporated_on`, "is in the future"));
    else if (identity.incorporated_on < EARLIEST_INCORPORATION)
      problems.push(problem(`${prefix}/incorporated_on`, `is before ${EARLIEST_INCORPORATION}`));
  }
  return problems;
}

export const sealIdentity = (keys: SealingKeys, customerId: string, identity: CustomerIdentity) =>
  seal(keys, JSON.stringify(identity), customerIdentityContext(customerId));

export const openIdentity = async (keys: SealingKeys, customerId: string, sealed: string) =>
  JSON.parse(await open(keys, sealed, customerIdentityContext(customerId))) as CustomerIdentity;

/** The identity's fields that differ between two versions - named, never their values (for the audit trail). */
export function changedFields(before: CustomerIdentity, after: CustomerIdentity): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter(
      (key) =>
        JSON.stringify(before[key as keyof CustomerIdentity]) !==
        JSON.stringify(after[key as keyof CustomerIdentity]),
    )
    .sort();
}
