import type { Database, Transaction } from "../../db/client";
import type { Access, Actor } from "./access";

/** Everything a tenant-scoped service needs, passed in explicitly (services never see the Hono context). */
export interface TenantContext {
  tenantId: string;
  access: Access;
  actor: Actor;
  requestId: string;
  ip: string | null;
  now: () => Date;
  /** Platform-scoped handle, for the few lookups that precede or span tenants. */
  db: Database;
  /** Runs `work` in a transaction confined to this tenant by row-level security. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * The same caller acting in another tenant - for platform operators only: the caller must have checked
   * `tenants:manage` first. Audit events then land in that tenant's trail.
   */
  inTenant(tenantId: string): TenantContext;
  /** Audit events this request has appended so far (see middleware/authorize). */
  audited: number;
}
