import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here; `npm run db:migrate` applies it (tools/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  strict: true,
  verbose: true,
});
