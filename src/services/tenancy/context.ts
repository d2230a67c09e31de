import { type AnyColumn, inArray, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type ReadResults, type Reads, read } from "../../db/batch";
import type { Database, HttpDatabase } from "../../db/client";
import { type StandingRow, standing } from "../../db/repositories/access.repository";
import { requirement, requirementOf } from "../../db/requirements";
import { memberships, ORG_ROLES, organizations, type Role, type TenantQuotas, users } from "../../db/schema";
import { databaseJson } from "../../db/well-formed";

export type { TenantQuotas };

import { AppError } from "../../errors";
import type { Caller, ClientContext, RequestContext, UserCaller } from "../context";
import { Access, type Actor } from "./access";
import { callerCheck } from "./caller-check";
import { isTenantWide, type Permission, ROLE_RANK, roleHolds } from "./permissions";

/** Everything a tenant-scoped service needs, passed in explicitly (services never see the Hono context). */
export interface TenantContext {
  tenantId: string;
  /** What the caller may do; known once the caller's standing is read (`read` reads it first). */
  readonly access: Access;
  readonly actor: Actor;
  requestId: string;
  ip: string | null;
  /** Where the request came from as the edge sees it (address, user agent, country). */
  client: ClientContext;
  now: () => Date;
  /** Platform-scoped handle, for the few lookups that precede or span tenants. */
  db: Database;
  /**
   * Runs the statements `build` makes in one batch - one round trip - confined to this tenant by row-level
   * security. When the caller's standing is still to be read, it rides in the same batch and is checked
   * before anything read is returned.
   */
  read<R extends Reads>(build: (db: HttpDatabase) => R): Promise<ReadResults<R>>;
  /**
   * A write in one batch - one transaction, one round trip - made only if the caller still holds `permission`
   * (in `organizationId`, or in the tenant): the batch's first statement checks it (finedge_caller_holds), so a
   * standing changed since it was last read cannot slip a write through. A refusal there is read again to
   * say why (401, 403 or 404). The statements must not depend on each other's results in the Worker; what
   * must hold between them is a requirement (db/requirements.ts).
   */
  write<R extends Reads>(
    permission: Permission,
    organizationId: string | null,
    build: (db: HttpDatabase) => R,
  ): Promise<ReadResults<R>>;
  /** `read` with one statement: its result as drizzle gives it. */
  readOne<Q extends BatchItem<"pg">>(build: (db: HttpDatabase) => Q): Promise<Awaited<Q>>;
  /** Queues work for after the response (it must handle its own errors). */
  afterResponse(work: () => Promise<void>): void;
  /**
   * The same caller acting in another tenant - for platform operators only: the caller must have checked
   * `tenants:manage` first. Audit events then land in that tenant's trail.
   */
  inTenant(tenantId: string): TenantContext;
  /** Audit events appended through this context and those `inTenant` derived from it (see middleware/authorize). */
  audited: number;
  /**
   * The organizations the caller can see, for a query's filter: from its standing once known; while the
   * standing is still to be read (it rides in the same batch), the same rule as a condition in SQL, judged on
   * the rows that batch reads.
   */
  visibleOrganizations(): "all" | string[] | SQLWrapper;
  /**
   * A condition on an organization column: the rows of organizations where the caller holds `permission`
   * (every row, tenant-level ones included, for a tenant-wide caller: no condition). While the standing is
   * still to be read, the same rule in SQL.
   */
  organizationsWhere(column: AnyColumn, permission: Permission): SQL | undefined;
  /** Whether the caller's standing has been read and checked (middleware/authorize reads it if a handler did not). */
  readonly standingChecked: boolean;
  /** Reads and checks the caller's standing now, if it is still pending (one round trip). */
  checkStanding(): Promise<void>;
}

/** What of the request a tenant context is made from. */
export type TenantContextSource = Pick<RequestContext, "requestId" | "client" | "now" | "database">;

/**
 * A user's standing not yet read: it is read in the batch of the request's first database work and
 * `accept`ed there (which throws the refusal, or the route's permission check) before any result is used.
 */
export interface PendingStanding {
  caller: UserCaller;
  accept: (access: Access, quotas: TenantQuotas, row: StandingRow | undefined) => void;
}

/**
 * The one way a tenant context is made: for the authorized caller (middleware/authorize) and for an
 * invitee accepting an invitation (who has no token yet). Contexts derived with `inTenant` share one audit
 * count, so a request's events are counted whichever tenant they land in, and the caller's standing.
 */
export function createTenantContext(
  request: TenantContextSource,
  tenantId: string,
  known: Access | PendingStanding,
): TenantContext {
  const { database } = request;
  const counter = { audited: 0 };
  let access = known instanceof Access ? known : undefined;
  const pending = known instanceof Access ? undefined : known;

  const settle = (row: StandingRow | undefined) => {
    if (!pending) throw new Error("no standing is pending");
    const settled = accessFromStanding(pending.caller, row);
    pending.accept(settled.access, settled.quotas, row);
    access = settled.access;
  };
  const checkStanding = async () => {
    if (access || !pending) return;
    const { caller } = pending;
    const result = await database.read({ tenantId: caller.tenantId }, (db) => ({
      standing: standing(db, caller.userId, caller.tenantId),
    }));
    settle(result.standing);
  };
  const known_ = () => {
    if (!access) throw new Error("the caller's standing is read with the request's first database work");
    return access;
  };

  const contextFor = (id: string): TenantContext => ({
    tenantId: id,
    get access() {
      return known_();
    },
    get actor() {
      // Who acts is known from the credential even while what it may do is still to be read.
      if (!access && pending) return { type: "user" as const, id: pending.caller.userId };
      return known_().actor;
    },
    requestId: request.requestId,
    ip: request.client.ip,
    client: request.client,
    now: request.now,
    get db() {
      return database.db;
    },
    async read(build) {
      if (access || !pending) return database.read({ tenantId: id }, build);
      const { caller } = pending;
      // The standing is read in the caller's own tenant; an operator acting elsewhere (`inTenant`) has it
      // checked on its own first.
      if (id !== caller.tenantId) {
        await checkStanding();
        return database.read({ tenantId: id }, build);
      }
      const { [STANDING]: row, ...rest } = await database.read({ tenantId: id }, (db) => ({
        ...build(db),
        [STANDING]: standing(db, caller.userId, caller.tenantId),
      }));
      settle(row as StandingRow | undefined);
      return rest as ReadResults<typeof build extends (db: HttpDatabase) => infer R ? R : never>;
    },
    async write(permission, organizationId, build) {
      const check = databaseJson(callerCheck(this.actor, permission));
      try {
        const { [CALLER]: _, ...written } = await this.read((db) => ({
          [CALLER]: read(
            requirement(
              db,
              sql`finedge_caller_holds(${id}::uuid, ${check}::jsonb, ${organizationId}::uuid)`,
              "standing",
            ),
          ),
          ...build(db),
        }));
        return written as ReadResults<typeof build extends (db: HttpDatabase) => infer R ? R : never>;
      } catch (error) {
        if (requirementOf(error) !== "standing") throw error;
        await checkStanding();
        known_().require(permission);
        if (organizationId) known_().requireIn(permission, organizationId);
        throw new AppError("conflict", "The caller's access changed while the request was made; retry it.");
      }
    },
    async readOne(build) {
      const { only } = await this.read((db) => ({ only: read(build(db)) }));
      return only as never;
    },
    afterResponse: (work) => database.afterResponse(work),
    inTenant: contextFor,
    get audited() {
      return counter.audited;
    },
    set audited(value: number) {
      counter.audited = value;
    },
    visibleOrganizations() {
      if (access || !pending) return known_().visibleOrganizations();
      const { userId } = pending.caller;
      // Access.visibleOrganizations as SQL: every organization for a tenant-wide role, else the memberships.
      return sql`(select ${organizations.id} from ${organizations}
                   where exists (select 1 from ${users} where ${users.id} = ${userId}
                                    and ${users.role} in ${TENANT_WIDE_ROLES})
                      or exists (select 1 from ${memberships} where ${memberships.organizationId} = ${organizations.id}
                                    and ${memberships.userId} = ${userId}))`;
    },
    organizationsWhere(column, permission) {
      if (access || !pending) {
        const held = known_().organizationsHolding(permission);
        if (held === "all") return undefined;
        return held.length > 0 ? inArray(column, held) : sql`false`;
      }
      const { userId } = pending.caller;
      const roles = ORG_ROLES.filter((role) => roleHolds(role, permission));
      return sql`(exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.role} in ${TENANT_WIDE_ROLES})
                  or ${column} in (select ${memberships.organizationId} from ${memberships}
                                    where ${memberships.userId} = ${userId} and ${memberships.role} in ${roles}))`;
    },
    get standingChecked() {
      return access !== undefined;
    },
    checkStanding,
  });
  return contextFor(tenantId);
}

const TENANT_WIDE_ROLES = (Object.keys(ROLE_RANK) as Role[]).filter(isTenantWide);

// The batch keys of the standing statement and of a write's check of the caller; no route's read is named so.
const STANDING = "__standing";
const CALLER = "__caller";

/** An API key's grant came with the key; it has no standing to read. */
export function keyAccess(caller: Extract<Caller, { kind: "api_key" }>): {
  access: Access;
  quotas: TenantQuotas;
} {
  return {
    access: Access.forKey(caller.apiKeyId, { scopes: caller.scopes, organizationId: caller.organizationId }),
    quotas: caller.quotas,
  };
}

/**
 * What a user may do in its tenant, and the tenant's quotas, from the standing just read (never from the
 * token's claims): a disabled account is 401, a suspended tenant 403.
 */
export function accessFromStanding(
  caller: Pick<UserCaller, "userId">,
  row: StandingRow | undefined,
): { access: Access; quotas: TenantQuotas } {
  if (row?.status !== "active") {
    throw new AppError("unauthorized", "The account is not active.", {
      headers: { "WWW-Authenticate": 'Bearer realm="finedge", error="invalid_token"' },
    });
  }
  if (row.tenantStatus !== "active") throw new AppError("forbidden", "The tenant is suspended.");
  return {
    access: Access.forUser(caller.userId, {
      role: row.role,
      memberships: new Map(row.memberships.map((m) => [m.organizationId, m.role])),
    }),
    quotas: row.quotas,
  };
}
