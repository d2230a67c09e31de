-- Federated sign-in: a tenant's settings for it (the redirect URIs its apps may be sent back to, how an
-- external identity may be linked to an account, the e-mail domains that must sign in through SSO, and its own
-- OpenID provider with the client secret sealed like every other secret at rest), the external identities
-- linked to accounts, and the one-time codes a mobile app exchanges (with its PKCE verifier) for a token pair.
CREATE TABLE "tenant_sso_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"redirect_uris" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"linking_policy" text DEFAULT 'signed_in' NOT NULL,
	"sso_required_domains" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"oidc_issuer" text,
	"oidc_client_id" text,
	"oidc_client_secret" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_sso_settings_linking_policy" CHECK ("tenant_sso_settings"."linking_policy" IN ('signed_in', 'verified_email')),
	CONSTRAINT "tenant_sso_settings_oidc_whole" CHECK (("tenant_sso_settings"."oidc_issuer" IS NULL) = ("tenant_sso_settings"."oidc_client_id" IS NULL) AND ("tenant_sso_settings"."oidc_issuer" IS NULL) = ("tenant_sso_settings"."oidc_client_secret" IS NULL)),
	CONSTRAINT "tenant_sso_settings_secret_sealed" CHECK ("tenant_sso_settings"."oidc_client_secret" IS NULL OR "tenant_sso_settings"."oidc_client_secret" LIKE 'v1.%')
);
--> statement-breakpoint
ALTER TABLE "tenant_sso_settings" ADD CONSTRAINT "tenant_sso_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE TABLE "federated_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "federated_identities_provider" CHECK ("federated_identities"."provider" IN ('google', 'microsoft', 'github', 'oidc'))
);
--> statement-breakpoint
ALTER TABLE "federated_identities" ADD CONSTRAINT "federated_identities_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "federated_identities" ADD CONSTRAINT "federated_identities_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "federated_identities_subject_key" ON "federated_identities" USING btree ("provider","issuer","subject");
--> statement-breakpoint
CREATE UNIQUE INDEX "federated_identities_user_provider_key" ON "federated_identities" USING btree ("user_id","provider");
--> statement-breakpoint
CREATE TABLE "federated_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"code_challenge" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"provider" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "federated_codes" ADD CONSTRAINT "federated_codes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "federated_codes" ADD CONSTRAINT "federated_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "federated_codes_hash_key" ON "federated_codes" USING btree ("code_hash");
--> statement-breakpoint
ALTER TABLE "tenant_sso_settings" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "tenant_sso_settings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "tenant_sso_settings" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "tenant_sso_settings" TO finedge_app;
--> statement-breakpoint
CREATE TRIGGER tenant_sso_settings_touch_updated_at BEFORE UPDATE ON "tenant_sso_settings" FOR EACH ROW EXECUTE FUNCTION finedge_touch_updated_at();
--> statement-breakpoint
ALTER TABLE "federated_identities" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "federated_identities" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "federated_identities" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON "federated_identities" TO finedge_app;
--> statement-breakpoint
GRANT UPDATE ("last_used_at", "email") ON "federated_identities" TO finedge_app;
--> statement-breakpoint
ALTER TABLE "federated_codes" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "federated_codes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "federated_codes" USING (finedge_can_see_tenant(tenant_id)) WITH CHECK (finedge_can_see_tenant(tenant_id));
--> statement-breakpoint
GRANT SELECT, INSERT ON "federated_codes" TO finedge_app;
--> statement-breakpoint
GRANT UPDATE ("used_at") ON "federated_codes" TO finedge_app;
