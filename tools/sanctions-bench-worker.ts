/**
 * A Worker that screens names against the synthetic list, for tools/sanctions-eval.ts to time in workerd
 * (timers inside workerd do not advance during CPU work, so the caller times each request from outside).
 */
import { type PreparedList, prepareList, screenName } from "../src/services/compliance/name-screening";
import type { SdnEntry } from "../src/services/compliance/sdn-list";
import { listWithPlanted } from "../test/support/synthetic-names";

let list: PreparedList<SdnEntry> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/prepare") {
      list = prepareList(listWithPlanted(Number(url.searchParams.get("entries"))));
      return new Response(String(list.names.length));
    }
    if (url.pathname === "/screen" && list) {
      const query = url.searchParams.get("q") ?? "";
      const times = Number(url.searchParams.get("times") ?? 1);
      let found = screenName(query, list);
      for (let i = 1; i < times; i++) found = screenName(query, list);
      return Response.json(found.map((m) => m.entry.id));
    }
    return new Response("ok");
  },
};
