import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, Handler, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { PROBLEM_CONTENT_TYPE, type ProblemCode, problemCatalogue } from "./errors";
import { handleError, validationHook } from "./middleware/problems";
import { RATE_LIMIT_POLICIES, type RateLimitPolicyName } from "./services/rate-limit/rules";

/** The RFC 9457 problem document every error response carries. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:finedge:problem:validation_failed" }),
    title: z.string().openapi({ example: "Validation Failed" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string(),
    code: z.enum(Object.keys(problemCatalogue) as [ProblemCode, ...ProblemCode[]]),
    requestId: z.string(),
    instance: z.string().openapi({ description: "The request path." }),
    errors: z
      .array(
        z.object({
          location: z.enum(["body", "query", "path", "header", "cookie"]),
          pointer: z.string().openapi({ description: "JSON Pointer into the body, or the parameter name." }),
          message: z.string(),
          code: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "Each invalid field, for validation problems." }),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** Problem responses by status, for route contracts. */
export const problems = {
  400: problem("Malformed JSON or invalid parameters."),
  401: problem("Missing or invalid credentials."),
  403: problem("Authenticated but not permitted."),
  404: problem("No such resource (or not visible to the caller)."),
  409: problem("Conflicts with the current state."),
  413: problem("The request body is too large."),
  415: problem("The request body is not application/json."),
  422: problem("The request body failed validation."),
  429: problem("Rate limit exceeded."),
  500: problem("Unexpected error; the request id identifies it in the logs."),
  503: problem("A dependency is unavailable or the request deadline passed."),
} as const;

/** A JSON response or request content entry for a contract. */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({
  content: { "application/json": { schema } },
});

/** A required JSON request body for a contract. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, ...jsonContent(schema) });

type RouteConfig = Parameters<typeof createRoute>[0];

/** The 429 of a route, saying which limit it is under (the document's reader sees the numbers, not just a name). */
function rateLimited(name: RateLimitPolicyName) {
  const { limit, windowSeconds, scope } = RATE_LIMIT_POLICIES[name];
  const per = scope === "ip" ? "client address" : "user or API key";
  return {
    ...problems[429],
    description: `Rate limit exceeded: policy \`${name}\`, ${limit} requests per ${windowSeconds} s per ${per}.`,
  };
}

/**
 * `createRoute` plus the problem responses every route can produce, derived from what the route accepts:
 * a body can be malformed (400), too large (413), of the wrong type (415) or invalid (422); parameters can
 * be invalid (400); anything can be over its rate limit (429), fail (500) or run out of time (503).
 *
 * Every contract names its rate-limit policy (`x-rate-limit`, one of services/rate-limit/rules), as it names
 * its permission: the document shows it and the rate-limit middleware enforces it from the same declaration.
 */
export function defineRoute<const R extends RouteConfig & { "x-rate-limit": RateLimitPolicyName }>(
  config: R,
) {
  const request = config.request;
  const implied: Partial<Record<keyof typeof problems, (typeof problems)[keyof typeof problems]>> = {
    429: rateLimited(config["x-rate-limit"]),
    500: problems[500],
    503: problems[503],
  };
  if (request?.body)
    Object.assign(implied, {
      400: problems[400],
      413: problems[413],
      415: problems[415],
      422: problems[422],
    });
  if (request?.params || request?.query || request?.headers) implied[400] = problems[400];
  if (config.security?.length) implied[401] = problems[401];
  if ("x-permission" in config) implied[403] = problems[403];
  if ("x-permission" in config && request?.params) implied[404] = problems[404];
  return createRoute({ ...config, responses: { ...implied, ...config.responses } });
}

const AFTER_VALIDATION = Symbol("runs after the route's validators");

/**
 * Marks a route middleware to run after the contract's validators instead of before them: malformed input is
 * refused (400, 415, 422) at the edge, before a permission check or an idempotency claim reads the database.
 */
export function afterValidation(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return Object.assign(middleware, { [AFTER_VALIDATION]: true });
}

const deferred = (middleware: MiddlewareHandler<AppEnv>) => AFTER_VALIDATION in middleware;

/**
 * Runs `chain` around `handler` as Hono's compose would have: each middleware gets `next`, may answer instead of
 * calling it, and sees in `c.res` what the rest answered - an error included, rendered as a problem, so the
 * idempotency middleware stores a business refusal like any outcome.
 */
async function runAround(chain: MiddlewareHandler<AppEnv>[], c: Context<AppEnv>, handler: Handler<AppEnv>) {
  const step = async (index: number): Promise<void> => {
    const middleware = chain[index];
    try {
      const answer = middleware
        ? await middleware(c, () => step(index + 1))
        : await handler(c, async () => undefined);
      if (answer instanceof Response) c.res = answer;
    } catch (error) {
      c.res = await handleError(error as Error, c);
    }
  };
  await step(0);
  return c.res;
}

/**
 * A router whose request validation failures become problem responses, and whose routes run the middleware
 * marked `afterValidation` between their validators and their handler.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = router.openapi;
  router.openapi = ((route: RouteConfig, handler: Handler<AppEnv>, hook?: unknown) => {
    const middleware = [route.middleware ?? []].flat() as MiddlewareHandler<AppEnv>[];
    const late = middleware.filter(deferred);
    if (late.length === 0) return register(route as never, handler as never, hook as never);
    return register(
      { ...route, middleware: middleware.filter((m) => !deferred(m)) } as never,
      ((c: Context<AppEnv>) => runAround(late, c, handler)) as never,
      hook as never,
    );
  }) as typeof router.openapi;
  return router;
}
