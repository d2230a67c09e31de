/**
 * `npm run dev`: the whole API on this machine with nothing installed but Node - embedded Postgres
 * (kept in .data/), the relay the Neon driver needs, migrations, and `wrangler dev`. With DATABASE_URL
 * set, that Postgres is used instead. Ctrl-C stops every process it started.
 */
import { rttFromEnvironment } from "./relay";
import { startLocalStack } from "./stack";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
  process.exit(2);
}

let dbRttMs: number;
try {
  dbRttMs = rttFromEnvironment();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const log = (line: string) => console.log(`[finedge] ${line}`);
const stack = await startLocalStack({
  port,
  databaseUrl: process.env.DATABASE_URL,
  dbRttMs,
  dataDir: process.env.FINEDGE_DATA_DIR ?? ".data",
  log,
});
log(`API on ${stack.url} - docs ${stack.url}/docs - database: ${stack.database}. Ctrl-C stops it.`);

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  log("stopping");
  await stack.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGHUP", () => void shutdown(0));
stack.exited.then((code) => shutdown(code));
