import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { type Database, RequestDatabase } from "../../src/db/client";
import {
  enqueueEmail,
  latestEmailsTo,
  MAX_EMAIL_ATTEMPTS,
  type OutboxMessage,
  pendingEmails,
} from "../../src/db/repositories/outbox.repository";
import { emailOutbox } from "../../src/db/schema";
import { generateKeyRing } from "../../src/services/crypto/key-ring";
import { importSealingKeys, isSealed, type SealingKeys } from "../../src/services/crypto/sealed";
import { loadSecretsAtRest } from "../../src/services/crypto/secrets-at-rest";
import { deliverPending, type Mailer, openOutboxBody, sendEmail } from "../../src/services/email/outbox";
import type { EmailSender, OutgoingEmail } from "../../src/services/email/senders";
import type { EmailTemplate } from "../../src/services/email/templates";
import { bindings } from "./helpers";

/** Opens a connection for one test body and closes it before the body ends (I/O cannot outlive it). */
async function withDatabase(body: (db: Database) => Promise<void>): Promise<void> {
  const handle = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
  try {
    await body(handle.db);
  } finally {
    await handle.close();
  }
}

/** A fresh mailbox per test, so rows other suites queue never meet these assertions. */
const mailbox = (label: string) => `${label}-${crypto.randomUUID()}@outbox.test`;

const message = (to: string, subject = "Your password was changed"): OutboxMessage<EmailTemplate> => ({
  tenantId: null,
  userId: null,
  to,
  template: "password_changed",
  subject,
  bodyText: `The password was changed.\n${subject}`,
});

/**
 * Stands in for the provider: accepts every message except those to `refused` addresses, which it
 * rejects as a provider answering 503 would. Other suites' pending rows are accepted, as a real drain would.
 */
/** The Worker's own encryption keys, so rows sealed by requests in other suites open here too. */
const workerSealing = async (): Promise<SealingKeys> =>
  (await loadSecretsAtRest(loadConfig(bindings))).sealing as SealingKeys;

function providerDouble(refused: Set<string> = new Set()) {
  const accepted: OutgoingEmail[] = [];
  const attempts: OutgoingEmail[] = [];
  const sender: EmailSender = {
    name: "double",
    async send(outgoing) {
      attempts.push(outgoing);
      if (refused.has(outgoing.to)) throw new Error("E-mail provider answered 503: try later");
      accepted.push(outgoing);
    },
  };
  const mailer = async (sealing?: SealingKeys): Promise<Mailer> => ({
    sender,
    sealing: sealing ?? (await workerSealing()),
  });
  return { sender, mailer, accepted, attempts };
}

const only = async (db: Database, to: string) => {
  const rows = await latestEmailsTo(db, to);
  expect(rows).toHaveLength(1);
  return rows[0] as NonNullable<(typeof rows)[number]>;
};

describe("e-mail outbox", () => {
  it("queues a message as pending and a drain marks it sent at the given time", () =>
    withDatabase(async (db) => {
      const to = mailbox("drain");
      const { id } = await enqueueEmail(db, message(to));
      expect(await only(db, to)).toMatchObject({ id, status: "pending", attempts: 0, sentAt: null });
      expect((await pendingEmails(db, 1000)).map((row) => row.id)).toContain(id);

      const provider = providerDouble();
      const sentAt = new Date("2030-01-02T03:04:05Z");
      const result = await deliverPending(db, await provider.mailer(), { limit: 1000, now: () => sentAt });

      const mine = provider.accepted.filter((outgoing) => outgoing.to === to);
      expect(mine).toEqual([
        { to, subject: "Your password was changed", bodyText: message(to).bodyText, idempotencyKey: id },
      ]);
      expect(result).toEqual({ sent: provider.accepted.length, failed: 0 });
      // Files running alongside drain the outbox too, some through senders that fail on purpose: one of them
      // may have tried this message first, so the attempts are at least this drain's one.
      const row = await only(db, to);
      expect(row).toMatchObject({ status: "sent", sentAt, lastError: null });
      expect(row?.attempts).toBeGreaterThanOrEqual(1);
      expect((await pendingEmails(db, 1000)).map((row) => row.id)).not.toContain(id);
    }));

  it("sendEmail delivers at once and records the send", () =>
    withDatabase(async (db) => {
      const to = mailbox("immediate");
      const provider = providerDouble();
      const { id, sent } = await sendEmail(db, await provider.mailer(), message(to));
      expect(sent).toBe(true);
      expect(provider.attempts).toEqual([expect.objectContaining({ to, idempotencyKey: id })]);
      expect(await only(db, to)).toMatchObject({ id, status: "sent", attempts: 1 });
    }));

  it("records a failing provider without throwing, retries, and gives up after the last attempt", () =>
    withDatabase(async (db) => {
      const to = mailbox("bounce");
      const provider = providerDouble(new Set([to]));

      const { id, sent } = await sendEmail(db, await provider.mailer(), message(to));
      expect(sent).toBe(false);
      expect(await only(db, to)).toMatchObject({
        id,
        status: "pending",
        attempts: 1,
        sentAt: null,
        lastError: "Error: E-mail provider answered 503: try later",
      });

      for (let attempt = 2; attempt <= MAX_EMAIL_ATTEMPTS; attempt += 1) {
        const result = await deliverPending(db, await provider.mailer(), { limit: 1000 });
        expect(result.failed).toBe(1);
        const row = await only(db, to);
        expect(row.attempts).toBe(attempt);
        expect(row.status).toBe(attempt < MAX_EMAIL_ATTEMPTS ? "pending" : "failed");
      }

      // A failed message is left alone by later drains.
      await deliverPending(db, await provider.mailer(), { limit: 1000 });
      expect(provider.attempts.filter((outgoing) => outgoing.to === to)).toHaveLength(MAX_EMAIL_ATTEMPTS);
      expect(await only(db, to)).toMatchObject({
        status: "failed",
        attempts: MAX_EMAIL_ATTEMPTS,
        sentAt: null,
      });
    }));

  it("lists the latest messages to one address, newest first, up to the limit", () =>
    withDatabase(async (db) => {
      const to = mailbox("inbox");
      await enqueueEmail(db, message(mailbox("someone-else"), "not mine"));
      for (const subject of ["first", "second", "third"]) {
        await enqueueEmail(db, message(to, subject));
        // created_at orders the list; a pause keeps consecutive inserts from sharing a timestamp.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect((await latestEmailsTo(db, to)).map((row) => row.subject)).toEqual(["third", "second", "first"]);
      expect((await latestEmailsTo(db, to, 2)).map((row) => row.subject)).toEqual(["third", "second"]);
      expect(await latestEmailsTo(db, mailbox("nobody"))).toEqual([]);
    }));
  it("stores the body sealed, bound to its row, and still delivers the plain text", () =>
    withDatabase(async (db) => {
      const to = mailbox("sealed");
      const token = `tok_${crypto.randomUUID().replaceAll("-", "")}`;
      const provider = providerDouble();
      const body = `Open https://app.test/reset-password?token=${token}\n`;
      const { id } = await sendEmail(db, await provider.mailer(), { ...message(to), bodyText: body });
      const row = await only(db, to);
      expect(isSealed(row.bodyText)).toBe(true);
      expect(row.bodyText).not.toContain(token);
      expect(row.bodyText).not.toContain("reset-password");
      expect(provider.accepted.find((m) => m.to === to)?.bodyText).toBe(body);

      // A retry opens it again; the same body copied into another row does not open there.
      const other = mailbox("moved");
      const { id: otherId } = await enqueueEmail(db, message(other));
      await db.update(emailOutbox).set({ bodyText: row.bodyText }).where(eq(emailOutbox.id, otherId));
      await db.update(emailOutbox).set({ status: "pending" }).where(eq(emailOutbox.id, id));
      const retry = providerDouble(new Set());
      await deliverPending(db, await retry.mailer(), { limit: 1000 });
      expect(retry.accepted.find((m) => m.to === to)?.bodyText).toBe(body);
      expect(retry.accepted.find((m) => m.to === other)).toBeUndefined();
      expect(await only(db, other)).toMatchObject({
        status: "pending",
        attempts: 1,
        lastError: expect.stringMatching(/^SealedValueError: .*does not open/),
      });
      // Given up like any failing message, rather than blocking the queue.
      await db.update(emailOutbox).set({ status: "failed" }).where(eq(emailOutbox.id, otherId));
    }));

  it("cannot open a body without the key that sealed it", () =>
    withDatabase(async (db) => {
      const to = mailbox("wrong-key");
      await sendEmail(db, await providerDouble().mailer(), message(to));
      const row = await only(db, to);
      const stranger = await importSealingKeys(generateKeyRing("k-other"));
      await expect(openOutboxBody(stranger, row)).rejects.toThrow(/which the ring does not have/);
      expect(await openOutboxBody(await workerSealing(), row)).toBe(message(to).bodyText);
    }));

  it("still delivers a body written in the clear before sealing", () =>
    withDatabase(async (db) => {
      const to = mailbox("legacy");
      const { id } = await enqueueEmail(db, message(to));
      const provider = providerDouble();
      await deliverPending(db, await provider.mailer(), { limit: 1000 });
      expect(provider.accepted.filter((m) => m.to === to)).toEqual([
        { to, subject: message(to).subject, bodyText: message(to).bodyText, idempotencyKey: id },
      ]);
    }));
});
