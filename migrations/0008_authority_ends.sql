-- Authority ends with its holder: when a user is disabled or demoted, or loses an organization membership,
-- the live API keys they created and the open invitations they sent are found by issuer and revoked in one
-- statement. These partial indexes hold only live keys and open invitations, so they stay small.
CREATE INDEX "api_keys_live_creator_idx" ON "api_keys" USING btree ("tenant_id","created_by") WHERE "api_keys"."revoked_at" is null;
--> statement-breakpoint
CREATE INDEX "invitations_open_sender_idx" ON "invitations" USING btree ("tenant_id","invited_by") WHERE "invitations"."accepted_at" is null and "invitations"."revoked_at" is null;
