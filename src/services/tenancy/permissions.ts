/**
 * The permission matrix, written once: each route names one permission; each permission names the lowest
 * role tier that holds it, whether that tier is judged inside an organization, and the API-key scope that
 * grants it to machines (none: users only). The README's table is generated from this (`npm run docs:permissions`)
 * and a test checks it is current.
 */
import type { Role } from "../../db/schema";

/** Tiers from highest to lowest; a role holds every permission of the tiers below it. */
export const ROLE_RANK: Record<Role, number> = {
  super_admin: 5,
  tenant_admin: 4,
  org_admin: 3,
  analyst: 2,
  viewer: 1,
};

/** What machines can be granted. */
export const API_KEY_SCOPES = [
  "portfolios:read",
  "portfolios:write",
  "predictions:read",
  "predictions:write",
  "jobs:read",
  "jobs:write",
  "prices:write",
  "audit:read",
  "customers:read",
  "customers:write",
  "fraud:read",
  "sanctions:read",
  "sanctions:screen",
  "webhooks:read",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface PermissionRule {
  /** The lowest tier that holds the permission. */
  minRole: Role;
  /** Judged against the caller's role in the organization concerned (tenant admins hold every organization). */
  orgScoped: boolean;
  /** The API-key scope that grants it; undefined: API keys never hold it. */
  scope?: ApiKeyScope;
  /**
   * Its routes show the whole tenant - every organization's people or activity (the audit trail, security
   * events with IP addresses and user agents, users, invitations, keys) - and cannot be narrowed to one
   * organization. Declared here, next to the scope, rather than on each route: the permission is what the
   * routes share, and `Access` (called by `authorize`) refuses it with 403 to a key confined to an
   * organization, whatever its scopes. Unconfined keys and users are unaffected.
   */
  wholeTenant: boolean;
  description: string;
}

const rule = (minRole: Role, description: string, extra: Partial<PermissionRule> = {}): PermissionRule => ({
  minRole,
  orgScoped: false,
  wholeTenant: false,
  description,
  ...extra,
});

/** Shorthand for permissions whose routes span every organization of the tenant. */
const WHOLE = { wholeTenant: true } as const;

export const PERMISSIONS = {
  "tenants:manage": rule("super_admin", "List and create tenants (platform operators).", WHOLE),
  "tenants:read": rule("tenant_admin", "Read a tenant (tenant admins: their own).", WHOLE),
  "tenants:update": rule(
    "tenant_admin",
    "Rename a tenant or set its quotas (tenant admins: rename their own).",
    WHOLE,
  ),
  "organizations:read": rule("viewer", "See organizations one belongs to.", { orgScoped: true }),
  "organizations:create": rule("tenant_admin", "Create organizations."),
  "organizations:update": rule("org_admin", "Rename or describe an organization.", { orgScoped: true }),
  "organizations:delete": rule("tenant_admin", "Delete an organization."),
  "members:read": rule("viewer", "List an organization's members.", { orgScoped: true }),
  "members:manage": rule("org_admin", "Add, change or remove members.", { orgScoped: true }),
  "invitations:read": rule("org_admin", "List invitations (org admins: to their organizations).", {
    orgScoped: true,
    wholeTenant: true,
  }),
  "invitations:manage": rule("org_admin", "Invite and revoke (org admins: to their organizations).", {
    orgScoped: true,
    wholeTenant: true,
  }),
  "users:read": rule("org_admin", "List and read the tenant's users.", WHOLE),
  "sso:manage": rule(
    "tenant_admin",
    "Read and change federated sign-in settings (identity provider, redirect URIs, linking, SSO-only domains).",
    WHOLE,
  ),
  "users:manage": rule("tenant_admin", "Change roles, disable, enable and unlock users.", WHOLE),
  "webhooks:read": rule("tenant_admin", "List webhook endpoints and their delivery log.", {
    scope: "webhooks:read",
    wholeTenant: true,
  }),
  "webhooks:manage": rule(
    "tenant_admin",
    "Register, change and delete webhook endpoints; redeliver events.",
    WHOLE,
  ),
  "api_keys:read": rule("tenant_admin", "List API keys.", WHOLE),
  "api_keys:manage": rule("tenant_admin", "Create and revoke API keys.", WHOLE),
  "audit:read": rule("tenant_admin", "Read and verify the audit trail and security events.", {
    scope: "audit:read",
    wholeTenant: true,
  }),
  "audit:export": rule("tenant_admin", "Export the audit trail to long-term storage.", WHOLE),
  "personal_data:own": rule("viewer", "Export or erase one's own personal data (erasure after a step-up)."),
  "personal_data:manage": rule(
    "tenant_admin",
    "Export or erase a member's personal data on a data-subject request the institution handles.",
    WHOLE,
  ),
  // Portfolios: reference data and prices are the tenant's own; portfolios belong to organizations.
  "assets:read": rule("viewer", "See assets and their prices.", { scope: "portfolios:read" }),
  "assets:manage": rule("tenant_admin", "Create and update assets."),
  "prices:write": rule("tenant_admin", "Ingest prices.", { scope: "prices:write" }),
  "portfolios:read": rule("viewer", "See portfolios, holdings, ledgers and performance.", {
    orgScoped: true,
    scope: "portfolios:read",
  }),
  "portfolios:write": rule("analyst", "Create portfolios and post transactions.", {
    orgScoped: true,
    scope: "portfolios:write",
  }),
  // Risk scoring.
  "companies:read": rule("viewer", "See companies and their statements.", { scope: "predictions:read" }),
  "companies:write": rule("analyst", "Create companies and file statements.", { scope: "predictions:write" }),
  "predictions:read": rule("viewer", "See predictions.", { scope: "predictions:read" }),
  "predictions:write": rule("analyst", "Request predictions.", { scope: "predictions:write" }),
  "jobs:read": rule("viewer", "See bulk scoring jobs and their results.", { scope: "jobs:read" }),
  "jobs:write": rule("analyst", "Submit bulk scoring jobs.", { scope: "jobs:write" }),
  "models:read": rule("viewer", "See models, versions and model cards.", { scope: "predictions:read" }),
  "models:manage": rule("tenant_admin", "Upload, activate and roll back models."),
  // Financial crime: customers hold personal data, and every organization's portfolios may be theirs.
  "customers:read": rule("analyst", "See customers, their identity, KYC standing, risk and history.", {
    scope: "customers:read",
    wholeTenant: true,
  }),
  "customers:write": rule("analyst", "Onboard customers and change their identity and KYC standing.", {
    scope: "customers:write",
    wholeTenant: true,
  }),
  // The check on every money movement: its decisions, the tenant's policy and blocklist, CTRs.
  "fraud:read": rule(
    "analyst",
    "See money checks with their reasons, the money-movement policy and blocklist; check a movement without posting it; see risk scores.",
    { scope: "fraud:read", wholeTenant: true },
  ),
  "fraud:review": rule("analyst", "Approve or reject a movement held for review (never one's own).", {
    orgScoped: true,
  }),
  "fraud:manage": rule("tenant_admin", "Change the money-movement policy and the blocklist.", WHOLE),
  "ctrs:read": rule("analyst", "See currency transaction reports and export them.", WHOLE),
  "monitoring:run": rule("analyst", "Run the monitoring scenarios over a window of settled activity.", WHOLE),
  "ctrs:manage": rule(
    "tenant_admin",
    "File currency transaction reports by hand and mark them filed.",
    WHOLE,
  ),
  // Sanctions screening: lists are the tenant's, matches name its customers.
  "sanctions:read": rule("analyst", "See sanctions lists and the potential matches screening found.", {
    scope: "sanctions:read",
    wholeTenant: true,
  }),
  "sanctions:screen": rule("analyst", "Screen a counterparty's name against the active sanctions list.", {
    scope: "sanctions:screen",
  }),
  "sanctions:review": rule("analyst", "Confirm or dismiss a potential sanctions match, with a reason.", {
    wholeTenant: true,
  }),
  "sanctions:manage": rule("tenant_admin", "Upload sanctions lists (every customer is rescreened)."),
  // Alerts, cases and SARs: investigations are confidential, SARs more so (a SAR's existence may not be
  // disclosed, 31 U.S.C. 5318(g)(2)). Analysts - the investigators - work alerts and cases; the decisions a
  // SAR stands on (closing a case either way, preparing, approving and filing a SAR) are the compliance
  // officers', from org admin up, so an investigator never learns from an answer whether a SAR was filed.
  "cases:read": rule("analyst", "See compliance alerts and cases, their notes and attachments.", WHOLE),
  "cases:manage": rule(
    "analyst",
    "Open cases from alerts, assign, work and escalate them, add notes and attachments.",
    WHOLE,
  ),
  "sars:read": rule("org_admin", "See SARs and how cases closed; export SARs.", WHOLE),
  "sars:manage": rule("org_admin", "Close cases, prepare, approve (not one's own) and file SARs.", WHOLE),
  "compliance:oversight": rule(
    "org_admin",
    "Compliance reports and the compliance audit trail, for officers and examiners.",
    WHOLE,
  ),
  "fraud:report": rule(
    "viewer",
    "Report suspected fraud on a portfolio, transaction or customer one can see.",
  ),
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof PERMISSIONS;

/** Whether `role` reaches the tier `permission` needs (before any organization check). */
export const roleHolds = (role: Role, permission: Permission): boolean =>
  ROLE_RANK[role] >= ROLE_RANK[PERMISSIONS[permission].minRole];

/** Roles that administer the whole tenant: every organization is theirs. */
export const isTenantWide = (role: Role): boolean => ROLE_RANK[role] >= ROLE_RANK.tenant_admin;
