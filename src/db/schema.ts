/**
 * The drizzle schema: one export per table. drizzle-kit diffs it against migrations/meta to write SQL.
 * Shared SQL helpers (triggers used by later tables) live in the hand-written baseline migration.
 */
export {};
