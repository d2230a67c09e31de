-- An address-change link carries the address it confirms; other purposes leave it null.
ALTER TABLE "one_time_tokens" ADD COLUMN "new_email" text;
