import { beforeAll, describe, expect, it } from "vitest";
import { type PreparedList, prepareList, screenName } from "../../../src/services/compliance/name-screening";
import type { SdnEntry } from "../../../src/services/compliance/sdn-list";
import { aka, listWithPlanted, nameCount, PLANTED, sdnEntry } from "../../support/synthetic-names";

const SMALL = [
  sdnEntry(1, "HAMDAN, Yusuf", "individual", [aka("HAMDAN, Youssef Ali"), aka("ABU ALI", true)]),
  sdnEntry(2, "HAMDAN, Nasser", "individual"),
  sdnEntry(3, "HAMDI, Yusuf", "individual"),
  sdnEntry(4, "SEA LANTERN", "vessel", [{ name: "OCEAN LANTERN", type: "fka", weak: false }]),
  sdnEntry(5, "YUSUF HAMDAN TRADING LLC", "entity"),
];

describe("screenName", () => {
  it("returns each matching entry once, best first, with the name or alias that matched", () => {
    expect(screenName("Youssef Hamdan", SMALL).map((m) => [m.entry.id, m.name, m.alias])).toEqual([
      [1, "HAMDAN, Youssef Ali", "aka"],
    ]);
    const matches = screenName("Youssef Hamdan", SMALL, { threshold: 0.5 });
    expect(matches.map((m) => m.entry.id)).toEqual([1, 5, 3, 2]);
    expect(matches.map((m) => m.score)).toEqual(matches.map((m) => m.score).sort((a, b) => b - a));
    expect(matches.every((m) => m.score >= 0.5 && m.score <= 1)).toBe(true);
  });

  it("prefers an entry's own name to an alias scoring the same, and says when an alias is weak", () => {
    expect(screenName("Yusuf Hamdan", SMALL)[0]).toMatchObject({
      name: "HAMDAN, Yusuf",
      alias: null,
      score: 1,
    });
    expect(screenName("Abu Ali", SMALL)[0]).toMatchObject({ name: "ABU ALI", alias: "aka", weak: true });
    expect(screenName("Ocean Lantern", SMALL)[0]).toMatchObject({ entry: { id: 4 }, alias: "fka" });
  });

  it("honours a threshold and a limit, and finds nothing for an unrelated name", () => {
    expect(screenName("Yusuf Hamdan", SMALL, { threshold: 0.99 }).map((m) => m.entry.id)).toEqual([1]);
    expect(screenName("Yusuf Hamdan", SMALL, { threshold: 0.5, limit: 1 })).toHaveLength(1);
    expect(screenName("Yusuf Hamdan Trading", SMALL, { threshold: 0.7 }).map((m) => m.entry.id)).toContain(5);
    expect(screenName("Hiroshi Tanaka", SMALL)).toEqual([]);
    expect(screenName("", SMALL)).toEqual([]);
  });

  it("gives the same answers from prepared entries as from entries", () => {
    const prepared = prepareList(SMALL);
    for (const query of ["Youssef Hamdan", "Abu Ali", "Sea Lanten", "Nasser Hamdan"]) {
      expect(screenName(query, prepared)).toEqual(screenName(query, SMALL));
    }
  });
});

describe("screening a list the size of OFAC's", () => {
  let list: PreparedList<SdnEntry>;
  beforeAll(() => {
    list = prepareList(listWithPlanted(15_000));
  }, 120_000);

  it("holds about 40,000 names", () => {
    expect(nameCount(list.entries)).toBeGreaterThan(40_000);
  });

  it.each(PLANTED.flatMap(({ entry, queries }) => queries.map((query) => [query, entry] as const)))(
    "finds the party %s stands for first",
    (query, planted) => {
      const [first] = screenName(query, list);
      expect(first?.entry.id).toBe(planted.id);
    },
  );

  it("reports a weak alias as weak", () => {
    expect(screenName("Dima", list)[0]).toMatchObject({ entry: { id: 1 }, name: "DIMA", weak: true });
  });
});
