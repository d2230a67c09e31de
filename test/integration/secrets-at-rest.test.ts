import { eq, sql } from "drizzle-orm";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { type Database, RequestDatabase } from "../../src/db/client";
import { enqueueEmail } from "../../src/db/repositories/outbox.repository";
import { backupCodes, emailOutbox, users } from "../../src/db/schema";
import { runScheduled } from "../../src/scheduled";
import { hashToken, normalizeBackupCode } from "../../src/services/auth/secrets";
import { generateTotp } from "../../src/services/auth/totp";
import { addKey, generateKeyRing } from "../../src/services/crypto/key-ring";
import { resealColumn } from "../../src/services/crypto/reseal";
import {
  importSealingKeys,
  isSealed,
  open,
  type SealingKeys,
  seal,
  sealedKeyId,
} from "../../src/services/crypto/sealed";
import {
  loadSecretsAtRest,
  outboxBodyContext,
  totpSecretContext,
} from "../../src/services/crypto/secrets-at-rest";
import { api, loginUser, mailboxToken, PASSWORD, registerUser, stepUp } from "./auth-helpers";
import { bindings } from "./helpers";

const STEP_MS = 30_000;

async function withDatabase<T>(body: (db: Database) => Promise<T>): Promise<T> {
  const handle = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
  try {
    return await body(handle.db);
  } finally {
    await handle.close();
  }
}

const workerSecrets = () => loadSecretsAtRest(loadConfig(bindings));

const userRow = (id: string) =>
  withDatabase(async (db) => (await db.select().from(users).where(eq(users.id, id)))[0]);

/** Registers a user and turns 2FA on through the API; returns its secret and backup codes. */
async function enrolled() {
  const account = await registerUser("sealed");
  await stepUp(account.access_token, { password: account.password });
  const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: account.access_token });
  expect(enable.status).toBe(200);
  const { secret } = await enable.json<{ secret: string }>();
  const now = Date.now();
  const verify = await api("/api/v1/auth/2fa/verify", {
    token: account.access_token,
    body: { code: generateTotp({ secret, now }) },
  });
  expect(verify.status).toBe(200);
  const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
  return { ...account, secret, backupCodes: backup_codes, confirmedAt: now };
}

/** A full sign-in with a TOTP code for `now`; the status of the second step. */
async function signInWithTotp(email: string, secret: string, now: number): Promise<number> {
  const first = await loginUser(email, PASSWORD);
  expect(first.body).toMatchObject({ mfa_required: true });
  const response = await api("/api/v1/auth/login/2fa", {
    body: { mfa_token: first.body.mfa_token, code: generateTotp({ secret, now }) },
  });
  return response.status;
}

async function signInWithBackupCode(email: string, code: string): Promise<number> {
  const first = await loginUser(email, PASSWORD);
  const response = await api("/api/v1/auth/2fa/backup-code", {
    body: { mfa_token: first.body.mfa_token, backup_code: code },
  });
  return response.status;
}

describe("secrets at rest", () => {
  it("stores the TOTP secret sealed to its user, and TOTP sign-in still works", async () => {
    const user = await enrolled();
    const row = await userRow(user.user.id);
    const stored = row?.totpSecret as string;
    expect(stored).not.toBe(user.secret);
    expect(stored).not.toContain(user.secret);
    expect(isSealed(stored)).toBe(true);
    const { sealing } = await workerSecrets();
    expect(sealedKeyId(stored)).toBe(sealing?.currentKid);
    expect(await open(sealing as SealingKeys, stored, totpSecretContext(user.user.id))).toBe(user.secret);
    // Bound to the row: the same value read as another user's secret does not open.
    await expect(
      open(sealing as SealingKeys, stored, totpSecretContext(crypto.randomUUID())),
    ).rejects.toThrow();

    expect(await signInWithTotp(user.email, user.secret, user.confirmedAt + STEP_MS)).toBe(200);
  });

  it("stores backup codes as peppered HMACs, never the SHA-256 of the code", async () => {
    const user = await enrolled();
    const rows = await withDatabase((db) =>
      db.select().from(backupCodes).where(eq(backupCodes.userId, user.user.id)),
    );
    expect(rows).toHaveLength(10);
    const { pepper } = await workerSecrets();
    const unsalted = await Promise.all(user.backupCodes.map((code) => hashToken(normalizeBackupCode(code))));
    for (const row of rows) {
      expect(row.codeHash.startsWith(`h1.${pepper?.currentId}.`)).toBe(true);
      expect(unsalted).not.toContain(row.codeHash);
      for (const code of user.backupCodes) expect(row.codeHash).not.toContain(normalizeBackupCode(code));
    }
    expect(await signInWithBackupCode(user.email, user.backupCodes[0] as string)).toBe(200);
    expect(await signInWithBackupCode(user.email, user.backupCodes[0] as string)).toBe(401);
  });

  it("still accepts rows from before sealing, and the cron seals the plaintext ones", async () => {
    const user = await enrolled();
    const legacyCode = "abcd-efgh-jkmn";
    // As rows stood before: the base32 secret in the clear, backup codes as unsalted SHA-256.
    await withDatabase(async (db) => {
      await db
        .update(users)
        .set({ totpSecret: user.secret, totpLastStep: null })
        .where(eq(users.id, user.user.id));
      await db.delete(backupCodes).where(eq(backupCodes.userId, user.user.id));
      await db
        .insert(backupCodes)
        .values({ userId: user.user.id, codeHash: await hashToken(normalizeBackupCode(legacyCode)) });
    });
    expect(await signInWithTotp(user.email, user.secret, Date.now())).toBe(200);
    expect(await signInWithBackupCode(user.email, legacyCode.toUpperCase())).toBe(200);
    expect(await signInWithBackupCode(user.email, legacyCode)).toBe(401);

    // A plaintext outbox body from before sealing, too.
    const to = `legacy-${crypto.randomUUID().slice(0, 8)}@outbox.test`;
    const body = "https://app.test/magic-link?token=legacy-plain-token\n";
    const { id: messageId } = await withDatabase((db) =>
      enqueueEmail(db, { to, template: "magic_link", subject: "Your sign-in link", bodyText: body }),
    );

    await runScheduled(bindings);

    const { sealing } = await workerSecrets();
    const row = await userRow(user.user.id);
    expect(isSealed(row?.totpSecret as string)).toBe(true);
    expect(
      await open(sealing as SealingKeys, row?.totpSecret as string, totpSecretContext(user.user.id)),
    ).toBe(user.secret);
    const [message] = await withDatabase((db) =>
      db.select().from(emailOutbox).where(eq(emailOutbox.id, messageId)),
    );
    expect(message?.bodyText).not.toContain("legacy-plain-token");
    expect(
      await open(sealing as SealingKeys, message?.bodyText as string, outboxBodyContext(messageId)),
    ).toBe(body);

    // Sealed by the cron, the secret still signs in (a later step: the last one was used above).
    const latest = await userRow(user.user.id);
    expect(await signInWithTotp(user.email, user.secret, ((latest?.totpLastStep ?? 0) + 1) * STEP_MS)).toBe(
      200,
    );
  });

  it("keeps no usable token in the outbox, while the mailbox shows the link and it works", async () => {
    const account = await registerUser("outbox");
    expect((await api("/api/v1/auth/password/forgot", { body: { email: account.email } })).status).toBe(202);
    const token = await mailboxToken(account.email, "password_reset");
    const rows = await withDatabase((db) =>
      db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, account.email)),
    );
    expect(rows.map((r) => r.template).sort()).toEqual(["password_reset", "verify_email"]);
    for (const row of rows) {
      expect(isSealed(row.bodyText)).toBe(true);
      expect(row.bodyText).not.toContain(token);
      expect(row.bodyText).not.toMatch(/token=|https?:/);
    }
    const reset = await api("/api/v1/auth/password/reset", {
      body: { token, new_password: "sealed-orbit-lantern-47" },
    });
    expect(reset.status).toBe(204);
  });
});

/** A table of its own (temporary, on the test's connection), so rotation never touches other suites' rows. */
const probe = pgTable("sealed_probe", { id: uuid("id").primaryKey(), secret: text("secret") });
const probeTarget = {
  name: "sealed_probe.secret",
  table: probe,
  id: probe.id,
  value: probe.secret,
  context: (id: string) => `sealed_probe.secret:${id}`,
};

describe("re-sealing", () => {
  it("seals plaintext, re-seals values under older keys, and leaves unreadable ones alone", () =>
    withDatabase(async (db) => {
      await db.execute(sql`create temp table sealed_probe (id uuid primary key, secret text)`);
      try {
        const ring1 = generateKeyRing("k1");
        const ring2 = addKey(ring1, "k2");
        const keys1 = await importSealingKeys(ring1);
        const keys2 = await importSealingKeys(ring2);
        const stranger = await importSealingKeys(generateKeyRing("k9"));
        const ids = Array.from({ length: 7 }, () => crypto.randomUUID());
        const [plainA, plainB, underK1, underK2, unreadable, empty, moved] = ids as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        const rows = [
          { id: plainA, secret: "plain-a" },
          { id: plainB, secret: "plain-b" },
          { id: underK1, secret: await seal(keys1, "old", probeTarget.context(underK1)) },
          { id: underK2, secret: await seal(keys2, "new", probeTarget.context(underK2)) },
          { id: unreadable, secret: await seal(stranger, "lost", probeTarget.context(unreadable)) },
          { id: empty, secret: null },
          { id: moved, secret: await seal(keys1, "elsewhere", probeTarget.context(plainA)) },
        ];
        await db.insert(probe).values(rows);
        const value = async (id: string) =>
          (await db.select().from(probe).where(eq(probe.id, id)))[0]?.secret as string | null;

        // The staged move: plaintext only, in small batches.
        const failures: string[] = [];
        const first = await resealColumn(db, keys2, probeTarget, {
          mode: "plaintext",
          batchSize: 1,
          onFailure: (_column, id) => failures.push(id),
        });
        expect(first).toEqual({ column: "sealed_probe.secret", sealed: 2, skipped: 0, failed: 0 });
        expect(await open(keys2, (await value(plainA)) as string, probeTarget.context(plainA))).toBe(
          "plain-a",
        );
        expect(sealedKeyId((await value(underK1)) as string)).toBe("k1");

        // Rotation: everything readable ends under k2; a value under a lost key, or moved, is reported.
        const second = await resealColumn(db, keys2, probeTarget, {
          mode: "rotate",
          batchSize: 2,
          onFailure: (_column, id) => failures.push(id),
        });
        expect(second).toEqual({ column: "sealed_probe.secret", sealed: 1, skipped: 0, failed: 2 });
        expect(failures.sort()).toEqual([unreadable, moved].sort());
        expect(sealedKeyId((await value(underK1)) as string)).toBe("k2");
        expect(await open(keys2, (await value(underK1)) as string, probeTarget.context(underK1))).toBe("old");
        expect(await open(keys2, (await value(underK2)) as string, probeTarget.context(underK2))).toBe("new");
        expect(await value(empty)).toBeNull();

        // A ring without k1 now reads every row k2 wrote.
        const onlyK2 = await importSealingKeys({ current: "k2", keys: { k2: ring2.keys.k2 as string } });
        for (const id of [plainA, plainB, underK1, underK2]) {
          expect(await open(onlyK2, (await value(id)) as string, probeTarget.context(id))).toBeTruthy();
        }
        const again = await resealColumn(db, keys2, probeTarget, { mode: "rotate" });
        expect(again).toMatchObject({ sealed: 0, failed: 2 });
      } finally {
        await db.execute(sql`drop table if exists sealed_probe`);
      }
    }));
});
