import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLD, scoreNames } from "../../../src/services/compliance/name-matching";
import { normalizeName } from "../../../src/services/compliance/name-normalization";
import { type PreparedList, prepareList, screenName } from "../../../src/services/compliance/name-screening";
import type { SdnEntry } from "../../../src/services/compliance/sdn-list";
import { seeded } from "../../support/seeded";
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

describe("screening against brute force", () => {
  it("finds exactly the names whose score reaches the threshold, for queries near and far from them", () => {
    // A list small enough to score every name for every query: the index and the bound must lose nothing.
    const entries = listWithPlanted(600, 7);
    const names = entries.flatMap((e) =>
      [e, ...e.aliases].map((n) => ({ id: e.id, name: n.name, type: e.type })),
    );
    const random = seeded(11);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const perturb = (name: string) => {
      const words = name.replace(",", "").split(" ");
      const choice = random();
      if (choice < 0.25) return words.reverse().join(" ");
      if (choice < 0.5) return words.filter((_, i) => i !== 1).join(" ");
      if (choice < 0.75) return words.map((w, i) => (i === 0 ? `${w[0]}.` : w)).join(" ");
      return name.replace(/[AEIOU]/, pick(["A", "E", "I", "O", "U"])).replace(/(\w)(\w)$/, "$2$1");
    };
    const queries = [
      ...PLANTED.flatMap((p) => p.queries),
      ...Array.from({ length: 40 }, () => perturb(pick(names).name)),
    ];
    const list = prepareList(entries);
    for (const query of queries) {
      const tokens = normalizeName(query);
      const expected = new Set(
        names
          .filter(
            (n) =>
              scoreNames(tokens, normalizeName(n.name, n.type === "individual" ? "individual" : "entity")) >=
              DEFAULT_THRESHOLD,
          )
          .map((n) => n.id),
      );
      expect(new Set(screenName(query, list).map((m) => m.entry.id)), query).toEqual(expected);
    }
  });
});
