import type { RequestDatabase } from "../db/client";
import { expectedMigrations, migrationTag } from "../db/migrations";
import { databaseStatus } from "../db/repositories/health.repository";
import { loadSigningKeys } from "./auth/keys";
import type { DependencyCheck } from "./readiness";
import { activePointer, platformCatalogue } from "./risk/catalogue";

/** The database answers, and has every migration this build expects (a schema behind the code is unhealthy). */
export function databaseCheck(database: RequestDatabase): DependencyCheck {
  return {
    name: "database",
    required: true,
    async probe() {
      const { serverVersion, appliedMigrations } = (
        await database.read("platform", (db) => ({ status: databaseStatus(db) }))
      ).status;
      const applied = new Set(appliedMigrations);
      const pending = expectedMigrations.filter((m) => !applied.has(m.when)).map((m) => m.tag);
      const latest = appliedMigrations.at(-1);
      return {
        status: pending.length > 0 ? "unhealthy" : "healthy",
        serverVersion,
        migrations: {
          applied: appliedMigrations.length,
          current: latest === undefined ? null : (migrationTag(latest) ?? "unknown"),
          expected: expectedMigrations.at(-1)?.tag ?? null,
          pending,
        },
      };
    },
  };
}

/** The R2 buckets answer a metadata read (a missing key still proves the bucket is reachable). */
export function storageCheck(buckets: Record<string, R2Bucket>): DependencyCheck {
  return {
    name: "storage",
    required: false,
    async probe() {
      await Promise.all(Object.values(buckets).map((bucket) => bucket.head("health/probe")));
      return { buckets: Object.keys(buckets) };
    },
  };
}

/** The token signing keys parse, and each signs and verifies (without them nobody can sign in). */
export function signingKeysCheck(json: string | undefined): DependencyCheck {
  return {
    name: "signing_keys",
    required: true,
    async probe() {
      if (!json) throw new Error("JWT_SIGNING_KEYS is not set");
      const keys = await loadSigningKeys(json);
      return { currentKid: keys.current.kid, kids: [...keys.byKid.keys()] };
    },
  };
}

/**
 * The platform's models are published: every model in the catalogue has an active pointer. Reads two small
 * JSON objects (cached for seconds); it never loads a graph, so the probe does not start the inference runtime.
 */
export function modelsCheck(bucket: R2Bucket): DependencyCheck {
  return {
    name: "models",
    required: false,
    async probe() {
      const { models } = await platformCatalogue(bucket);
      if (models.length === 0) throw new Error("no models are published (npm run models:publish)");
      const active: Record<string, string> = {};
      for (const { name } of models) {
        const pointer = await activePointer(bucket, name);
        if (!pointer) throw new Error(`model ${name} has no active version`);
        active[name] = pointer.version;
      }
      return { active };
    },
  };
}
