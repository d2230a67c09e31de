import { describe, expect, it } from "vitest";
import { foldToken, type NameKind, normalizeName } from "../../../src/services/compliance/name-normalization";

const texts = (name: string, kind?: NameKind) => normalizeName(name, kind).map((t) => t.text);

describe("normalizeName", () => {
  it("transliterates Cyrillic, Greek, Chinese and Korean to Latin", () => {
    expect(texts("Дмитрий Корваленко")).toEqual(["dmitri", "korvalenko"]);
    expect(texts("Олександр Ковальчук")).toEqual(["oleksandr", "kovalchuk"]);
    // ου is one vowel (u), αυ is av: not letter by letter (oy, ay).
    expect(texts("Ελένη Σταθοπούλου")).toEqual(["eleni", "stathopulu"]);
    expect(texts("Σπυρίδων Μαυρίδης")).toEqual(["spiridon", "mavridis"]);
    // One token per Chinese character or Korean syllable (joined again when compared).
    expect(texts("陈志远")).toEqual(["chen", "zhi", "yuan"]);
    // Revised Romanisation as names are usually written: Gim is Kim, Bag is Pak, eo is o.
    expect(texts("김성호")).toEqual(["kim", "song", "ho"]);
    expect(texts("박영철")).toEqual(["pak", "yong", "chol"]);
  });

  it("keeps the consonants of Arabic and Hebrew, without the article, for comparing by skeleton", () => {
    const tokens = normalizeName("خالد الزبيدي");
    expect(tokens.map((t) => [t.text, t.skeleton, t.abjad])).toEqual([
      ["hld", "hld", true],
      ["zbidi", "zbd", true],
    ]);
    expect(normalizeName("Khalid al-Zubaidi").map((t) => [t.skeleton, t.abjad])).toEqual([
      ["hld", false],
      ["l", false],
      ["zbd", false],
    ]);
    // "عمر" is Omar, not the English title Mr.
    expect(texts("عمر الشمري")).toEqual(["mr", "shmri"]);
    expect(texts("עמוס לוי")).toEqual(["mvs", "lvi"]);
  });

  it("folds case, diacritics and punctuation", () => {
    expect(texts("NÚÑEZ, José María", "individual")).toEqual(["yose", "maria", "nunez"]);
    expect(texts("KJÆRGAARD, Søren")).toEqual(["soren", "kjaergard"]);
    expect(texts("Łukasz Wiśniewski")).toEqual(["lukasz", "visnievski"]);
    // Apostrophes join, hyphens and other marks separate.
    expect(texts("O'Brien-Smythe, Sean (Jr.)")).toEqual(["sean", "jr", "obrien", "smithe"]);
    expect(texts("GAMA'A AL-ISLAMIYYA", "entity")).toEqual(["gama", "al", "islamia"]);
  });

  it("puts LAST, First in reading order, the first given name and the first surname being core", () => {
    const tokens = normalizeName("GARCIA HERNANDEZ, Luis Alberto", "individual");
    expect(tokens.map((t) => [t.text, t.core])).toEqual([
      ["luis", true],
      ["alberto", false],
      ["garcia", true],
      ["hernandez", false],
    ]);
    expect(normalizeName("Ivan Stepanovich Petrenko").map((t) => t.core)).toEqual([true, false, true]);
    // Particles are never core: the first surname of BIN LADIN-like names is the word after the particle.
    expect(
      normalizeName("AL ZUBAIDI, Khalid", "individual").map((t) => [t.text, t.core, t.particle]),
    ).toEqual([
      ["halid", true, false],
      ["al", false, true],
      ["zubaidi", true, false],
    ]);
    // An entity's comma is punctuation; so is an unknown name's when what follows is a legal form.
    expect(texts("ANGLO-CARIBBEAN CO., LTD.", "entity")).toEqual(["anglo", "karibean"]);
    expect(texts("CECOEX, S.A.")).toEqual(["cekoeks"]);
  });

  it("drops titles from the front of a person's name, but not from an entity's or from inside", () => {
    expect(texts("Sheikh Dr. Khalid Al-Zubaidi")).toEqual(["halid", "al", "zubaidi"]);
    expect(texts("AL ZAWAHIRI, Dr. Ayman", "individual")).toEqual(["aiman", "al", "zavahiri"]);
    expect(texts("Ahmed Sheikh")).toEqual(["ahmed", "sheih"]);
    expect(texts("General Trading Company", "entity")).toEqual(["general", "trading"]);
    expect(texts("Mr")).toEqual(["mr"]);
  });

  it("drops legal forms from either end of an entity's name, two-letter ones only from longer names", () => {
    expect(texts("Nordkap Reederei GmbH & Co. KG")).toEqual(["nordkap", "rederei"]);
    expect(texts("AO Transvolga Logistika")).toEqual(["transvolga", "logistika"]);
    expect(texts("ООО «Северный Путь»")).toEqual(["severni", "put"]);
    expect(texts("Meridian Petrochem S.A.")).toEqual(["meridian", "petrochem"]);
    expect(texts("Moa Nickel SA")).toEqual(["moa", "nikel"]);
    expect(texts("Ao Li")).toEqual(["ao", "li"]);
    // Not from a person's name, and never down to nothing.
    expect(texts("AO, Li", "individual")).toEqual(["li", "ao"]);
    expect(texts("Limited")).toEqual(["limited"]);
  });

  it("marks initials and keeps dotted letters apart unless they spell a legal form", () => {
    const tokens = normalizeName("J. E. Carver");
    expect(tokens.map((t) => [t.text, t.initial, t.first])).toEqual([
      ["i", true, "j"],
      ["e", true, "e"],
      ["karver", false, "c"],
    ]);
    expect(texts("DOCTOR M.R.O.", "entity")).toEqual(["doctor", "m", "r", "o"]);
  });
});

describe("foldToken", () => {
  it.each([
    [
      "Mohammed / Muhammad / Mohamed / Mohd",
      ["mohammed", "muhammad", "mohamed", "mohamad", "mohd", "mehmet"],
    ],
    ["-ov / -off / -ow", ["volkov", "volkoff", "volkow"]],
    ["ou / oo / u", ["yousuf", "yoosuf", "yusuf"]],
    ["ph / f", ["yosef", "yoseph"]],
    ["kh / h", ["khalid", "halid"]],
    ["y / i / j", ["yuriy", "yurii", "iouri", "jurij", "yuri"]],
    ["Russian ё as yo or e", ["fyodor", "fedor"]],
    ["x / ks", ["aleksandr", "alexandr"]],
    ["w / v", ["wladimir", "vladimir"]],
    ["q / k, c before a, o, u / k", ["kasim", "qasim", "casim"]],
    ["tsch / tch / ch", ["tschernov", "tchernov", "chernov"]],
    ["shch / sch / sh", ["shcheglov", "scheglov", "sheglov"]],
    ["doubled letters", ["hassan", "hasan"]],
  ])("folds %s together", (_, variants) => {
    expect(new Set(variants.map(foldToken)).size).toBe(1);
  });

  it("keeps apart names the folds are not about", () => {
    for (const [a, b] of [
      ["mahmud", "muhammad"],
      ["ivan", "yvan"],
      ["sami", "samir"],
      ["juan", "john"],
    ]) {
      expect(foldToken(a as string)).not.toBe(foldToken(b as string));
    }
  });
});
