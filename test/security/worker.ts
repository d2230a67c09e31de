import { appWith } from "../integration/helpers";

const app = appWith();

/**
 * Sends a request through the production app factory (every middleware, the real bindings), with its own
 * execution context awaited, so connections are closed before the next request.
 *
 * Why not `exports.default.fetch`: under @cloudflare/vitest-pool-workers each such call gets slower as
 * the calls of the test file add up (cloudflare/workers-sdk#15446; here 10 ms at first, 400 ms after 1,000
 * calls), which a suite of thousands of requests cannot afford. The app is the same `createApp()`.
 */
export const send = (path: string, init?: RequestInit): Promise<Response> => app(path, init);
