import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { RequestDatabase } from "../../src/db/client";
import { enqueueEmail } from "../../src/db/repositories/outbox.repository";
import { emailOutbox } from "../../src/db/schema";
import { runScheduled } from "../../src/scheduled";
import { bindings } from "./helpers";

describe("cron trigger", () => {
  it("delivers e-mail left pending by the request path", async () => {
    const handle = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
    try {
      const { id } = await enqueueEmail(handle.db, {
        to: `cron-${crypto.randomUUID().slice(0, 8)}@example.com`,
        template: "password_changed",
        subject: "Your password was changed",
        bodyText: "It was changed.",
      });
      // Files running alongside deliver the outbox too (their own cron runs, the request path's after-response
      // work), so this run may find the message already claimed: what counts is that it ends up sent. Its
      // counts are not ours to judge either: the run takes every file's pending messages, among them those
      // other suites make fail on purpose.
      await runScheduled(bindings);
      const [row] = await handle.db.select().from(emailOutbox).where(eq(emailOutbox.id, id));
      expect(row?.status).toBe("sent");
    } finally {
      await handle.close();
    }
  });
});
