-- A model upload claims its (tenant, name, version) before it writes any file to R2, so that of two uploads
-- of one version the second is refused (the unique index) and never overwrites the first's files - without
-- holding a transaction open across the writes. The claim is the row itself, not yet ready: every reader of
-- the tenant's versions skips it, and the upload marks it ready, with its audit event, once its files are
-- written (or deletes it when they could not be). A claim left not ready longer than the lease (an upload
-- that ended between its claim and its files) is taken over by the next upload of that version.
-- Every version already recorded has its files: ready.
ALTER TABLE "model_versions" ADD COLUMN "files_ready" boolean DEFAULT true NOT NULL;
