import type { SdnAlias, SdnEntry } from "../../src/services/compliance/sdn-list";
import { seeded } from "./seeded";

/**
 * A made-up sanctions list the size of OFAC's (about 15,000 entries, 40,000 names with aliases), the same
 * for a given seed. Surnames and company words are coined from syllables, so the list has as many distinct
 * tokens as a real one; given names come from a short list, so some tokens are held by thousands of names,
 * as Muhammad or Ali are.
 */
export function syntheticEntries(count: number, seed = 1): SdnEntry[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const coined = (syllables: number) =>
    Array.from({ length: syllables }, () => pick(SYLLABLES))
      .join("")
      .toUpperCase();
  const surname = () => `${coined(2 + Math.floor(random() * 2))}${pick(SUFFIXES)}`.toUpperCase();
  const entries: SdnEntry[] = [];
  for (let i = 0; i < count; i++) {
    const aliases: SdnAlias[] = [];
    const aliasCount = Math.floor(random() * 4.2);
    let name: string;
    let type: SdnEntry["type"];
    if (random() < 0.6) {
      type = "individual";
      const family = surname();
      const given = random() < 0.5 ? `${pick(GIVEN)} ${pick(GIVEN)}` : pick(GIVEN);
      name = `${family}, ${given}`;
      for (let a = 0; a < aliasCount; a++) {
        const variant =
          random() < 0.5 ? family.replace(/[AEIOU]/, pick(["A", "E", "I", "O", "U"])) : surname();
        aliases.push({ name: `${variant}, ${pick(GIVEN)}`, type: "aka", weak: false });
      }
      if (random() < 0.1) aliases.push({ name: coined(2), type: "aka", weak: true });
    } else {
      type = random() < 0.1 ? "vessel" : "entity";
      const words = () => [
        coined(2 + Math.floor(random() * 2)),
        pick(WORDS),
        ...(random() < 0.5 ? [pick(WORDS)] : []),
      ];
      name = [...words(), ...(type === "entity" ? [pick(LEGAL_FORMS)] : [])].join(" ");
      for (let a = 0; a < aliasCount; a++)
        aliases.push({ name: words().join(" "), type: pick(["aka", "fka"]), weak: false });
    }
    entries.push({ id: 100_000 + i, name, type, programs: ["SYNTHETIC"], remarks: null, aliases });
  }
  return entries;
}

/** How many names (own names and aliases) a list holds. */
export const nameCount = (entries: readonly SdnEntry[]) =>
  entries.reduce((n, e) => n + 1 + e.aliases.length, 0);

const SYLLABLES = (
  "ka ro vi len mar to shi dar bel nov ak ir za hem gor lu fa ran sel tin bo mi ra dev ash im or ul ben tar qu ze " +
  "pol yan sho ga vel nik han das mon rek sul bar kha jan er ost tam wil fen dro mak sav zu nar hil"
).split(" ");
const SUFFIXES = ["OV", "EV", "ENKO", "SKI", "ANI", "I", "EZ", "SON", "ER", "YAN", "", "", ""];
const GIVEN = (
  "Ahmad Ali Hassan Omar Yusuf Ibrahim Khalid Said Mahmoud Karim Muhammad Abdullah Hamid Reza Mehdi Ivan Sergey " +
  "Aleksandr Vladimir Oleg Igor Andrey Nikolay Pavel Viktor Yuriy Boris Mikhail Olga Natalya Elena Irina Anna " +
  "Svetlana Maria Jose Luis Carlos Juan Miguel Pedro Jorge Ana Carmen Wei Jian Ming Hua Li Chol Song Yong Hyok " +
  "Peter John James David Robert Michael Thomas Daniel Paul George Nikolaos Georgios Kwame Kofi Chinedu Amir " +
  "Tariq Faisal Nasser Adel Samir Rashid Walid Jamal Fatima Aisha Leila Zainab Farid Rustam Timur Bakhtiyar"
).split(" ");
const WORDS = (
  "TRADING SHIPPING GENERAL INTERNATIONAL HOLDINGS INVESTMENT MARITIME PETROLEUM ENERGY INDUSTRIAL GROUP " +
  "LOGISTICS ENGINEERING TECHNOLOGY EXPORT IMPORT COMMERCIAL DEVELOPMENT CONSTRUCTION MINING METALS CHEMICAL " +
  "AVIATION MARINE SERVICES FINANCIAL CAPITAL ALLIANCE PACIFIC GOLDEN STAR NORTHERN EASTERN GLOBAL UNITED"
).split(" ");
const LEGAL_FORMS = ["LLC", "LTD", "CO., LTD.", "FZE", "GMBH", "S.A.", "JSC", "OOO", "INC.", "LIMITED"];

/** Parties the tests and the benchmark look for among the synthetic ones, and queries that should find them. */
/** An entry of the list, with what screening does not look at filled in. */
export const sdnEntry = (
  id: number,
  name: string,
  type: SdnEntry["type"],
  aliases: SdnAlias[] = [],
): SdnEntry => ({
  id,
  name,
  type,
  programs: ["SDGT"],
  remarks: null,
  aliases,
});

export const aka = (name: string, weak = false): SdnAlias => ({ name, type: "aka", weak });

/** Parties the tests and the benchmark look for among the synthetic ones, and queries that should find them. */
export const PLANTED: Array<{ entry: SdnEntry; queries: string[] }> = [
  {
    entry: sdnEntry(1, "KORVALENKO, Dmitriy Arkadyevich", "individual", [
      aka("DIMA", true),
      aka("KORVALENKO, Dmitri"),
    ]),
    queries: ["Dmitri Korvalenko", "Дмитрий Аркадьевич Корваленко", "D. A. Korvalenko", "Korvalneko Dmitriy"],
  },
  {
    entry: sdnEntry(2, "NORTHWIND MARITIME CO., LTD.", "entity", [
      { name: "NORTH WIND SHIPPING LLC", type: "fka", weak: false },
    ]),
    queries: ["Northwind Maritime Limited", "North Wind Shipping"],
  },
  {
    entry: sdnEntry(3, "AL-ZUBAIDI, Khalid Hamad", "individual", [aka("AL-ZUBAYDI, Khaled")]),
    queries: ["Sheikh Khalid al-Zubaidi", "خالد الزبيدي", "Khaled Zubaydi"],
  },
];

/** A list of `count` synthetic entries with the planted ones among them (at fixed places). */
export function listWithPlanted(count: number, seed = 1): SdnEntry[] {
  const entries = syntheticEntries(count - PLANTED.length, seed);
  PLANTED.forEach(({ entry }, i) => {
    entries.splice(Math.floor(((i + 1) * entries.length) / (PLANTED.length + 1)), 0, entry);
  });
  return entries;
}
