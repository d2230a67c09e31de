import type { components, FinEdgeClient } from "../client/src/index.js";

export type Me = components["schemas"]["User"];

/** What every view is given: the one API client of the page and the signed-in user. */
export interface Context {
  client: FinEdgeClient;
  me: Me;
}

/** A view draws itself into `root` (under the page's heading). */
export type View = (root: HTMLElement, context: Context) => Promise<void>;
