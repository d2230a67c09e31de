import { startEmbeddedPostgres } from "./embedded-postgres";
import { applyMigrations } from "./migrate";
import { publishLocalInChild } from "./model-publisher";
import { startRelay } from "./relay";
import { ensureDevKeyRing, generateKeyRingJson } from "./secret-keys";
import { ensureDevSigningKeys, generateSigningKeySet } from "./signing-keys";
import { startSqlOverHttp } from "./sql-over-http";
import { startWranglerDev } from "./wrangler";

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  port: number;
  /** An external Postgres; without it the embedded one is started. */
  databaseUrl?: string | undefined;
  /** Where the embedded Postgres and local R2/DO state persist; in memory when omitted. */
  dataDir?: string | undefined;
  /** Extra round-trip time to the database in ms (`LOCAL_DB_RTT_MS`), added by the relay. */
  dbRttMs?: number;
  /** Extra `--var NAME:value` bindings for the Worker. */
  vars?: Record<string, string>;
  /** Wrangler's own log level; `error` keeps benchmarks quiet. */
  wranglerLogLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** Pipe the Worker's output to ours (dev) or drop it (bench). */
  stdio?: "inherit" | "ignore";
  log?: (line: string) => void;
}

/** A running local stack. */
export interface LocalStack {
  url: string;
  database: string;
  /** The Postgres the stack runs on, and the local server speaking Neon's SQL-over-HTTP protocol in front of it. */
  databaseUrl: string;
  sqlEndpoint: string;
  /** The WebSocket relay (host:port), which counts the connections each request id opens. */
  relay: string;
  /** Resolves when the Worker process exits on its own. */
  exited: Promise<number>;
  stop: () => Promise<void>;
}

/**
 * Postgres (embedded unless a URL is given) + the WebSocket relay + the SQL-over-HTTP server + migrations +
 * `wrangler dev`, on the given port. Every process it starts is stopped by `stop()`.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let databaseUrl = options.databaseUrl;
    let database = databaseUrl ? `external (${new URL(databaseUrl).host})` : "embedded PGlite (in memory)";
    if (!databaseUrl) {
      const started = Date.now();
      const postgres = await startEmbeddedPostgres({
        dataDir: options.dataDir && `${options.dataDir}/pglite`,
      });
      cleanups.push(postgres.close);
      databaseUrl = postgres.url;
      if (options.dataDir) database = `embedded PGlite (${options.dataDir}/pglite)`;
      log(`embedded Postgres ready in ${Date.now() - started} ms`);
    }
    const relay = await startRelay({
      allowedHosts: [new URL(databaseUrl).hostname, "127.0.0.1", "localhost"],
      rttMs: options.dbRttMs,
    });
    if (options.dbRttMs) database += `, ${options.dbRttMs} ms away`;
    cleanups.push(relay.close);
    await applyMigrations(databaseUrl, relay.address);
    log("migrations applied");
    const sqlHttp = await startSqlOverHttp({ databaseUrl, rttMs: options.dbRttMs });
    cleanups.push(sqlHttp.close);

    // Local runs sign tokens with their own keys: kept in the data folder, or fresh for an in-memory run.
    const signingKeys = options.dataDir
      ? await ensureDevSigningKeys(`${options.dataDir}/signing-keys.json`)
      : await generateSigningKeySet();
    // Likewise the keys that seal secrets at rest and the backup-code pepper.
    const encryptionKeys = options.dataDir
      ? await ensureDevKeyRing(`${options.dataDir}/secrets-encryption-keys.json`, "SECRETS_ENCRYPTION_KEYS")
      : generateKeyRingJson();
    const backupCodePepper = options.dataDir
      ? await ensureDevKeyRing(`${options.dataDir}/backup-code-pepper.json`, "BACKUP_CODE_PEPPER")
      : generateKeyRingJson();
    // The trained models, published to the local R2 the Worker reads, so predictions work at once.
    await publishLocalInChild(options.dataDir && `${options.dataDir}/wrangler`);
    log("risk models published to local R2");

    const worker = await startWranglerDev({
      port: options.port,
      vars: {
        ...options.vars,
        WS_RELAY: relay.address,
        SQL_HTTP_ENDPOINT: sqlHttp.endpoint,
        DATABASE_URL: databaseUrl,
        JWT_SIGNING_KEYS: signingKeys,
        SECRETS_ENCRYPTION_KEYS: encryptionKeys,
        BACKUP_CODE_PEPPER: backupCodePepper,
      },
      persistTo: options.dataDir && `${options.dataDir}/wrangler`,
      logLevel: options.wranglerLogLevel ?? "info",
      stdio: options.stdio ?? "inherit",
      readyPath: "/health",
    });
    cleanups.push(worker.stop);
    return {
      url: worker.url,
      database,
      databaseUrl,
      sqlEndpoint: sqlHttp.endpoint,
      relay: relay.address,
      exited: worker.exited,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
