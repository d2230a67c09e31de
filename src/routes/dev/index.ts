import { z } from "@hono/zod-openapi";
import { AppError } from "../../errors";
import { contextOf } from "../../middleware/request-context";
import { createRouter, defineRoute, problems } from "../../openapi";
import { readMailbox } from "../../services/email/mailbox";

const mailboxRoute = defineRoute({
  method: "get",
  path: "/api/v1/dev/mailbox",
  "x-rate-limit": "default",
  tags: ["Local development"],
  summary: "Local development and tests only: the newest messages sent to an address (404 elsewhere).",
  request: { query: z.object({ to: z.email().transform((v) => v.toLowerCase()) }) },
  responses: {
    200: {
      description: "Messages, newest first.",
      content: {
        "application/json": {
          schema: z.object({
            messages: z.array(
              z.object({
                id: z.string(),
                template: z.string(),
                subject: z.string(),
                body_text: z.string(),
                status: z.string(),
                created_at: z.string(),
              }),
            ),
          }),
        },
      },
    },
    404: problems[404],
  },
});

/**
 * The local mailbox: without an e-mail provider, messages stay in the outbox, and this lets a developer
 * (or a test) read them. It does not exist outside development and test.
 */
export const devRoutes = createRouter().openapi(mailboxRoute, async (c) => {
  const { ENVIRONMENT } = c.get("config");
  if (ENVIRONMENT !== "development" && ENVIRONMENT !== "test") {
    throw new AppError("not_found", `No route matches ${c.req.method} ${c.req.path}.`);
  }
  const mailbox = await readMailbox(contextOf(c), c.req.valid("query").to, 20);
  const messages = mailbox.map((m) => ({
    id: m.id,
    template: m.template,
    subject: m.subject,
    body_text: m.bodyText,
    status: m.status,
    created_at: m.createdAt.toISOString(),
  }));
  return c.json({ messages }, 200);
});
