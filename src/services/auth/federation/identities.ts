/**
 * A signed-in user's linked identities: listed, and unlinked only while another way to sign in remains (another
 * identity, or a password their tenant still accepts for their address).
 */
import { firstRow, read } from "../../../db/batch";
import { identitiesOf, identityUnlink } from "../../../db/repositories/federation.repository";
import { AppError } from "../../../errors";
import type { AuthServices } from "../context";
import { logSecurityEvent, securityEventInsert } from "../events";

interface UnlinkOutcome {
  found: boolean;
  unlinked: boolean;
  provider: string | null;
}

interface Holder {
  userId: string;
  tenantId: string;
}

/** The user's identities, newest first: one read. */
export async function listIdentities(ctx: AuthServices, holder: Holder) {
  const { rows } = await ctx.database.read({ tenantId: holder.tenantId }, (db) => ({
    rows: read(identitiesOf(db, holder.userId)),
  }));
  return rows;
}

/**
 * Unlinks one identity (decided and done in one statement), then records it: two round trips. 404 for an
 * identity that is not the user's, 409 when it is their last way to sign in.
 */
export async function unlinkIdentity(ctx: AuthServices, holder: Holder, id: string) {
  const { outcome } = await ctx.database.read({ tenantId: holder.tenantId }, (db) => ({
    outcome: read(identityUnlink(db, { id, userId: holder.userId }), firstRow<UnlinkOutcome>()),
  }));
  if (!outcome?.found) throw new AppError("not_found", "No such linked identity.");
  if (!outcome.unlinked) {
    throw new AppError(
      "last_sign_in_method",
      "This identity is the account's last way to sign in: set a password or link another identity first.",
    );
  }
  const event = {
    type: "identity_unlinked" as const,
    userId: holder.userId,
    tenantId: holder.tenantId,
    details: { provider: outcome.provider, identityId: id },
  };
  await ctx.database.read("platform", (db) => ({ event: read(securityEventInsert(db, ctx, event)) }));
  logSecurityEvent(ctx, event);
}
