/**
 * Personal data out (GDPR Art. 15 and 20): everything the platform holds about one user - profile, sessions
 * and devices, security events, memberships, the API keys they created and the audit events they acted in or
 * are the subject of - as one JSON document in R2, behind a signed link that works for 15 minutes. A user
 * exports their own; a tenant admin a member's, on a data-subject request the institution handles (the
 * request's reference is recorded). One round trip to read (the caller's standing riding in it), one for
 * the audit event.
 */
import { read } from "../../db/batch";
import { personalProfile, personalRecords } from "../../db/repositories/personal-data.repository";
import { AppError } from "../../errors";
import { sha256Hex } from "../../ml/sha256";
import type { RequestContext } from "../context";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { openDownload, type SignedLink, signDownload } from "./download-links";

/** Where exports live in the FILES bucket: by tenant and user, so an erasure finds them all. */
export const exportPrefix = (tenantId: string, userId: string) => `personal-exports/${tenantId}/${userId}/`;

export interface PersonalExport {
  id: string;
  bytes: number;
  sha256: string;
  link: SignedLink;
}

type Exporter = Pick<RequestContext, "files" | "config">;

/** Writes the user's data to R2 and returns a signed link to it; `reference` names an admin's request. */
export async function exportPersonalData(
  ctx: TenantContext,
  request: Exporter,
  userId: string,
  reference: string | null,
): Promise<PersonalExport> {
  const found = await ctx.read((db) => {
    const records = personalRecords(db, ctx.tenantId, userId);
    return {
      profile: read(personalProfile(db, ctx.tenantId, userId)),
      sessions: read(records.sessions),
      devices: read(records.devices),
      securityEvents: read(records.securityEvents),
      memberships: read(records.memberships),
      apiKeys: read(records.apiKeys),
      auditEvents: read(records.auditEvents),
    };
  });
  const [profile] = found.profile;
  if (!profile) throw new AppError("not_found", "No such user.");
  if (profile.status === "erased") throw new AppError("conflict", "This account's personal data was erased.");
  const id = crypto.randomUUID();
  const now = ctx.now();
  const document = {
    format: "finedge-personal-data/v1",
    exported_at: now.toISOString(),
    tenant_id: ctx.tenantId,
    profile,
    sessions: found.sessions,
    devices: found.devices,
    security_events: found.securityEvents,
    memberships: found.memberships,
    api_keys: found.apiKeys,
    audit_events: found.auditEvents,
  };
  const body = JSON.stringify(document, null, 2);
  const sha256 = await sha256Hex(new TextEncoder().encode(body));
  const key = `${exportPrefix(ctx.tenantId, userId)}${id}.json`;
  await request.files.put(key, body, {
    httpMetadata: { contentType: "application/json" },
    customMetadata: { tenant: ctx.tenantId, user: userId, sha256 },
  });
  await recordAudit(ctx, {
    action: "personal_data.exported",
    resourceType: "user",
    resourceId: userId,
    after: { export_id: id, sha256, bytes: body.length, reference },
  });
  return { id, bytes: body.length, sha256, link: await signDownload(request.config, key, now) };
}

/** The export a signed link names (403 for a bad or expired link, 404 once it is gone). */
export async function openPersonalExport(request: Exporter, token: string, now: Date) {
  const key = await openDownload(request.config, token, now);
  if (!key.startsWith("personal-exports/")) throw new AppError("forbidden", "The download link is invalid.");
  const object = await request.files.get(key);
  if (!object) throw new AppError("not_found", "The export is no longer available.");
  return object;
}
