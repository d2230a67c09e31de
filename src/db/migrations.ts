import journal from "../../migrations/meta/_journal.json";

/** A migration as drizzle-kit records it in the journal. */
export interface MigrationEntry {
  tag: string;
  when: number;
}

/** The migrations this build of the code expects, oldest first (bundled from migrations/meta). */
export const expectedMigrations: readonly MigrationEntry[] = journal.entries.map(({ tag, when }) => ({
  tag,
  when,
}));

/** The tag of the migration recorded at `createdAt` (drizzle stores the journal's `when`), if known. */
export function migrationTag(createdAt: number): string | undefined {
  return expectedMigrations.find((entry) => entry.when === createdAt)?.tag;
}
