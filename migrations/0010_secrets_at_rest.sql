-- Secrets at rest. The existing columns keep their names and take a versioned format, told apart by prefix:
--   users.totp_secret       v1.<kid>.<iv>.<ciphertext>  AES-256-GCM, associated data 'users.totp_secret:<user id>'
--   email_outbox.body_text  v1.<kid>.<iv>.<ciphertext>  AES-256-GCM, associated data 'email_outbox.body_text:<row id>'
--   backup_codes.code_hash  h1.<pepper id>.<mac>        HMAC-SHA-256 under a pepper, over '<user id>:<code>'
-- Base32 secrets, message bodies and hex SHA-256 digests never start with these prefixes, so rows written
-- before this stay readable while the cron and `npm run secrets:encrypt` seal them (stage 2); the constraint
-- that refuses plaintext for good is the guarded stage 3 in the README's deploying section.
-- Nothing here changes what the running Worker may write, so this can be applied before or after the code.
COMMENT ON COLUMN "users"."totp_secret" IS 'sealed: v1.<kid>.<iv>.<ciphertext> (AES-256-GCM); base32 plaintext only in rows from before 0010';
--> statement-breakpoint
COMMENT ON COLUMN "email_outbox"."body_text" IS 'sealed: v1.<kid>.<iv>.<ciphertext> (AES-256-GCM); plaintext only in rows from before 0010';
--> statement-breakpoint
COMMENT ON COLUMN "backup_codes"."code_hash" IS 'h1.<pepper id>.<HMAC-SHA-256>; unsalted SHA-256 hex only in codes issued before 0010';
--> statement-breakpoint
-- The rows still in the clear: the cron probes these every run, which costs an empty index scan once the
-- move is done rather than a scan of either table. Stage 3 drops them with the plaintext.
CREATE INDEX "users_totp_secret_plain_idx" ON "users" USING btree ("id") WHERE "users"."totp_secret" is not null and "users"."totp_secret" not like 'v1.%';
--> statement-breakpoint
CREATE INDEX "email_outbox_body_plain_idx" ON "email_outbox" USING btree ("id") WHERE "email_outbox"."body_text" is not null and "email_outbox"."body_text" not like 'v1.%';
