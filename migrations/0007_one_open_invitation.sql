-- Invitations created at the same moment could both stay open; only the newest of each address and place keeps
-- its link, as a newer invitation always replaced older ones. Row-level security is forced on invitations, even
-- for their owner: the update runs in platform scope, for this transaction only.
SELECT set_config('finedge.scope', 'platform', true);
--> statement-breakpoint
UPDATE "invitations" AS i SET "revoked_at" = now()
WHERE i."accepted_at" IS NULL AND i."revoked_at" IS NULL AND EXISTS (
  SELECT 1 FROM "invitations" AS j
  WHERE j."tenant_id" = i."tenant_id" AND j."email" = i."email"
    AND j."organization_id" IS NOT DISTINCT FROM i."organization_id"
    AND j."accepted_at" IS NULL AND j."revoked_at" IS NULL
    AND (j."created_at", j."id") > (i."created_at", i."id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_one_open_key" ON "invitations" USING btree ("tenant_id","email",coalesce("organization_id", '00000000-0000-0000-0000-000000000000'::uuid)) WHERE "invitations"."accepted_at" is null and "invitations"."revoked_at" is null;
