/**
 * `npm run db:migrate`: applies migrations/ to DATABASE_URL - Neon directly, any other Postgres through a
 * loopback relay started for the duration.
 */
import { applyMigrations, isNeonUrl } from "./migrate";
import { startRelay } from "./relay";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set: export the connection string of the database to migrate.");
  process.exit(2);
}

const started = Date.now();
if (isNeonUrl(url)) {
  await applyMigrations(url);
} else {
  const relay = await startRelay({ allowedHosts: [new URL(url).hostname] });
  try {
    await applyMigrations(url, relay.address);
  } finally {
    await relay.close();
  }
}
console.log(`migrations applied to ${new URL(url).host} in ${Date.now() - started} ms`);
