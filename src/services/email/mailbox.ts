/**
 * The local mailbox: without an e-mail provider, messages stay in the outbox; a developer (or a test)
 * reads the newest ones sent to an address, with their bodies opened as the sender would open them.
 */
import { latestEmailsTo } from "../../db/repositories/outbox.repository";
import type { ServiceContext } from "../context";
import { openOutboxBody } from "./outbox";

/** A message as the outbox holds it, its body readable. */
export interface MailboxMessage {
  id: string;
  template: string;
  subject: string;
  bodyText: string;
  status: string;
  createdAt: Date;
}

/** The newest messages sent to `to`, newest first. */
export async function readMailbox(
  ctx: Pick<ServiceContext, "db" | "secretsAtRest">,
  to: string,
  limit = 20,
): Promise<MailboxMessage[]> {
  const rows = await latestEmailsTo(ctx.db, to, limit);
  const { sealing } = await ctx.secretsAtRest();
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      template: row.template,
      subject: row.subject,
      bodyText: await openOutboxBody(sealing, row),
      status: row.status,
      createdAt: row.createdAt,
    })),
  );
}
