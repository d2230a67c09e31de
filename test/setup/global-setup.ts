/**
 * Runs in Node before the workerd suites: a database (embedded PGlite in memory, or a fresh database on
 * TEST_DATABASE_URL's server, dropped afterwards), the WebSocket relay, the SQL-over-HTTP server, and the migrations - handed to the
 * Worker as bindings through `provide`.
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import type { TestProject } from "vitest/node";
import ws from "ws";
import { routeThroughRelay } from "../../src/db/driver";
import { startEmbeddedPostgres } from "../../tools/embedded-postgres";
import { applyMigrations } from "../../tools/migrate";
import { rttFromEnvironment, startRelay } from "../../tools/relay";
import { generateKeyRingJson } from "../../tools/secret-keys";
import { generateSigningKeySet } from "../../tools/signing-keys";
import { startSqlOverHttp } from "../../tools/sql-over-http";
import { provideGitHub } from "./github-server";
import { provideIdentityProvider } from "./identity-provider";
import { provideModelArtefacts } from "./model-artefacts";
import { provideOpenIdProvider } from "./openid-provider";
import { provideQuoteServer } from "./quote-server";
import { provideSilentServer } from "./silent-server";
import { provideWebhookReceiver } from "./webhook-receiver";

declare module "vitest" {
  export interface ProvidedContext {
    wsRelay: string;
    /** The local SQL-over-HTTP endpoint (`SQL_HTTP_ENDPOINT`); `GET <origin>/calls/<request id>` counts a request's calls. */
    sqlHttpEndpoint: string;
    databaseUrl: string;
    signingKeys: string;
    /** Key rings for secrets at rest: `SECRETS_ENCRYPTION_KEYS` and `BACKUP_CODE_PEPPER`. */
    encryptionKeys: string;
    backupCodePepper: string;
    /** An Upstash-compatible endpoint in front of TEST_REDIS_URL's Redis; empty when that is unset. */
    upstashUrl: string;
    upstashToken: string;
  }
}

async function adminQuery(url: string, relay: string, statement: string): Promise<void> {
  neonConfig.webSocketConstructor = ws;
  routeThroughRelay(relay);
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(statement);
  } finally {
    await pool.end();
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  const cleanups: Array<() => Promise<void>> = [];
  let databaseUrl: string;
  let hosts = ["127.0.0.1", "localhost"];

  if (external) {
    hosts = [...hosts, new URL(external).hostname];
  }
  // LOCAL_DB_RTT_MS puts the database that far away for the Worker (setup's own statements go through it too).
  const relay = await startRelay({ allowedHosts: hosts, rttMs: rttFromEnvironment() });
  cleanups.push(relay.close);

  if (external) {
    const name = `finedge_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    await adminQuery(external, relay.address, `CREATE DATABASE ${name}`);
    cleanups.push(() => adminQuery(external, relay.address, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(external);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  } else {
    const postgres = await startEmbeddedPostgres();
    cleanups.push(postgres.close);
    databaseUrl = postgres.url;
  }

  await applyMigrations(databaseUrl, relay.address);
  const sqlHttp = await startSqlOverHttp({ databaseUrl, rttMs: rttFromEnvironment() });
  cleanups.push(sqlHttp.close);
  project.provide("wsRelay", relay.address);
  project.provide("sqlHttpEndpoint", sqlHttp.endpoint);
  project.provide("databaseUrl", databaseUrl);
  project.provide("signingKeys", await generateSigningKeySet());
  project.provide("encryptionKeys", generateKeyRingJson());
  project.provide("backupCodePepper", generateKeyRingJson());
  await provideModelArtefacts(project);
  cleanups.push(await provideQuoteServer(project));
  cleanups.push(await provideIdentityProvider(project));
  cleanups.push(await provideSilentServer(project));
  cleanups.push(await provideWebhookReceiver(project));
  cleanups.push(await provideOpenIdProvider(project));
  cleanups.push(await provideGitHub(project));

  // Optional: the Upstash-backed suites run only when a Redis is named, so `npm test` needs none.
  const redisUrl = process.env.TEST_REDIS_URL;
  const upstash = { url: "", token: "" };
  if (redisUrl) {
    // Imported only here: node-redis is not needed otherwise.
    const { startUpstashRestServer } = await import("../support/upstash-rest");
    upstash.token = crypto.randomUUID();
    const server = await startUpstashRestServer({ redisUrl, token: upstash.token });
    cleanups.push(server.close);
    upstash.url = server.url;
  }
  project.provide("upstashUrl", upstash.url);
  project.provide("upstashToken", upstash.token);

  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}
