import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { DEFAULT_POLICY, isRateLimitPolicyName, RATE_LIMIT_POLICIES, type RateLimitPolicy } from "./rules";

/** A route contract as registered for the OpenAPI document: OpenAPI path (`{id}`), its `x-rate-limit`. */
export interface DeclaredRoute {
  method: string;
  path: string;
  "x-rate-limit"?: unknown;
}

/** The policy that governs a request, by its method and path. */
export type PolicyResolver = (method: string, path: string) => RateLimitPolicy;

/**
 * Maps method and path to the policy its route contract declares, with a router of the same kind and
 * matching rules as the application's own (Hono's default: RegExpRouter, TrieRouter where it cannot), so a
 * request is counted under the contract it will be dispatched to - before any of that route's work runs.
 * Where several routes match, the first registered wins, as in dispatch. A request that matches no route
 * (a 404) is counted under DEFAULT_POLICY.
 */
export function routePolicies(routes: Iterable<DeclaredRoute>): PolicyResolver {
  const router = new SmartRouter<RateLimitPolicy>({ routers: [new RegExpRouter(), new TrieRouter()] });
  let declared = 0;
  for (const route of routes) {
    const name = route["x-rate-limit"];
    if (!isRateLimitPolicyName(name)) {
      // defineRoute's type requires one; this guards contracts built around it.
      throw new Error(`${route.method.toUpperCase()} ${route.path} declares no known rate-limit policy`);
    }
    // The same conversion @hono/zod-openapi applies when it mounts the route.
    router.add(
      route.method.toUpperCase(),
      route.path.replaceAll(/\/{(.+?)}/g, "/:$1"),
      RATE_LIMIT_POLICIES[name],
    );
    declared++;
  }
  if (declared === 0) return () => DEFAULT_POLICY;
  return (method, path) => {
    // Hono answers HEAD with the GET route.
    const [matches] = router.match(method === "HEAD" ? "GET" : method, path);
    return matches[0]?.[0] ?? DEFAULT_POLICY;
  };
}
