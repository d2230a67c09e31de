/**
 * Sending an invitation as one read and one batch: what the decision rests on is read together (the tenant,
 * the organization, whoever holds the address in the tenant), and one batch locks the place, replaces its
 * open invitations, inserts the new one and audits it with the number it replaced.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { auditEvents, invitations, users } from "../schema";
import { databaseJson } from "../well-formed";
import type { NewAuditEvent } from "./audit.repository";

/** Where an invitation leads: the tenant, or one of its organizations. */
export interface InvitationPlace {
  tenantId: string;
  email: string;
  organizationId: string | null;
}

const openAt = (place: InvitationPlace) =>
  and(
    eq(invitations.tenantId, place.tenantId),
    eq(invitations.email, place.email),
    place.organizationId
      ? eq(invitations.organizationId, place.organizationId)
      : isNull(invitations.organizationId),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
  );

/** The ids of the invitations to the same place still open (neither accepted nor revoked), in id order. */
export const openInvitationIds = (db: Querier, place: InvitationPlace) =>
  db
    .select({ id: invitations.id })
    .from(invitations)
    .where(openAt(place))
    .orderBy(sql`${invitations.id}::text`);

/**
 * Waits for any other transaction inviting the same address to the same place, until it ends: invitations to
 * one place are made one after the other (the unique open-invitation index is the backstop).
 */
export function placeLock(db: Querier, place: InvitationPlace) {
  const key = `invitation:${place.tenantId}:${place.email}:${place.organizationId ?? ""}`;
  return db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** Revokes the open invitations to the same place (the new one replaces them). */
export const openInvitationsRevoked = (db: Querier, place: InvitationPlace, now: Date) =>
  db.update(invitations).set({ revokedAt: now }).where(openAt(place));

/** Whether an account that never verified its address holds `email` past the grace period (any tenant). */
export const expiredHolder = (db: Querier, email: string, createdBefore: Date) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.email, email),
        isNull(users.emailVerifiedAt),
        sql`${users.createdAt} <= ${createdBefore.toISOString()}::timestamptz`,
      ),
    )
    .limit(1);

/**
 * The invitation's audit event, its `after.replaced` the number of open invitations the same batch revoked
 * at `now` (after the place's lock, so exactly those the new one replaces).
 */
export function invitationAudit(db: Querier, event: NewAuditEvent, place: InvitationPlace, now: Date) {
  const replaced = sql`(select count(*) from ${invitations}
    where tenant_id = ${place.tenantId}::uuid and email = ${place.email}
      and ${place.organizationId ? sql`organization_id = ${place.organizationId}::uuid` : sql`organization_id is null`}
      and revoked_at = ${now.toISOString()}::timestamptz)`;
  return db.insert(auditEvents).values({
    ...event,
    summary: sql`jsonb_set(${databaseJson(event.summary ?? {})}::jsonb, '{after,replaced}', to_jsonb(${replaced}))`,
    seq: 0,
    prevHash: "",
    hash: "",
  });
}
