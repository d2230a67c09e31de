import { describe, expect, it } from "vitest";
import {
  credit,
  DEFAULT_THRESHOLD,
  matchingRuns,
  nameSimilarity,
  scoreBound,
  scoreNames,
  tokenSimilarity,
} from "../../../src/services/compliance/name-matching";
import { normalizeName } from "../../../src/services/compliance/name-normalization";
import pairsCsv from "../../fixtures/sanctions/name-pairs.csv?raw";
import { scorePairs } from "../../support/name-evaluation";

const token = (text: string) => normalizeName(text)[0] as NonNullable<ReturnType<typeof normalizeName>[0]>;

type Expectation = ["=" | ">" | "<", number];
const expectScore = (score: number, [relation, value]: Expectation) => {
  if (relation === "=") expect(score).toBeCloseTo(value, 9);
  else if (relation === ">") expect(score).toBeGreaterThan(value);
  else expect(score).toBeLessThan(value);
};

const T = DEFAULT_THRESHOLD;

/** Token pairs scored by `tokenSimilarity`, name pairs by `nameSimilarity`, each against a bound or value. */
describe.each<["token" | "name", string, string, string, ...Expectation]>([
  ["token", "is Jaro-Winkler on the folded forms", "Korvalenko", "KORVALENKO", "=", 1],
  ["token", "is Jaro-Winkler on the folded forms", "Korvalneko", "Korvalenko", ">", 0.95],
  ["token", "is Jaro-Winkler on the folded forms", "Wielicki", "Wielgus", "<", 0.9],
  ["token", "matches tokens of three letters or fewer only exactly", "Li", "Lu", "=", 0],
  ["token", "matches tokens of three letters or fewer only exactly", "Xu", "Xue", "=", 0],
  ["token", "matches tokens of three letters or fewer only exactly", "Ali", "Aly", "=", 1],
  ["token", "does not match a truncation", "Alex", "Aleksandr", "=", 0],
  ["token", "does not match a truncation", "Ivanov", "Ivanovich", "=", 0],
  ["token", "does not match a truncation", "Korvalen", "Korvalenko", ">", 0.9],
  ["token", "does not match a gendered form", "Popova", "Popov", "=", 0],
  ["token", "does not match a gendered form", "Aleksandra", "Aleksandr", "=", 0],
  ["token", "does not match a gendered form", "Yevgeniya", "Yevgeniy", "=", 0],
  ["token", "rates a difference in vowels above one in consonants", "Mehdi", "Mahdi", ">", 0.929],
  ["token", "rates a difference in vowels above one in consonants", "Khaled", "Khalid", ">", 0.929],
  ["token", "rates a difference in vowels above one in consonants", "Amin", "Amir", "<", 0.9],
  ["token", "compares Arabic script with Latin by consonants", "يوسف", "Yusuf", "=", 1],
  ["token", "compares Arabic script with Latin by consonants", "أحمد", "Ahmad", "=", 1],
  ["token", "compares Arabic script with Latin by consonants", "أحمد", "Yusuf", "<", 0.8],
  ["name", "is 1 whatever the order and the writing", "Dmitriy Korvalenko", "KORVALENKO, Dmitriy", "=", 1],
  ["name", "is 1 whatever the order and the writing", "KORVALENKO Dmitriy", "KORVALENKO, Dmitriy", "=", 1],
  ["name", "is 1 whatever the order and the writing", "Дмитрий Корваленко", "KORVALENKO, Dmitriy", "=", 1],
  ["name", "tolerates a middle name left out", "Ivan Petrenko", "PETRENKO, Ivan Stepanovich", ">", T],
  ["name", "does not tolerate a missing surname", "Ivan Stepanovich", "PETRENKO, Ivan Stepanovich", "<", T],
  ["name", "does not tolerate another initial", "J. A. Smith", "John B. Smith", "<", T],
  ["name", "merges a name written in two words", "Abdulrahman Saleh", "SALEH, Abdul Rahman", "=", 1],
  ["name", "merges a name written in two words", "王小明", "WANG, Xiaoming", "=", 1],
  ["name", "merges a name written in two words", "محمد عبد الله", "ABDALLAH, Muhammad", "=", 1],
  ["name", "lets no initial stand for merged names", "S. Orlova", "ORLOVA, Svetlana Borisovna", "<", 0.9],
  ["name", "drops titles", "Sheikh Dr. Yusuf Hamdan", "HAMDAN, Yusuf", "=", 1],
  ["name", "drops legal forms", "Kestrel Shipping Ltd", "KESTREL SHIPPING LIMITED", "=", 1],
  ["name", "is 0 when nothing matches", "Hiroshi Tanaka", "KORVALENKO, Dmitriy", "=", 0],
  ["name", "is 0 for an empty name", "", "KORVALENKO, Dmitriy", "=", 0],
  ["name", "is 0 for an empty name", "-", "--", "=", 0],
])("%sSimilarity %s", (level, _, a, b, ...expectation) => {
  it(`${a} ~ ${b}`, () => {
    const score = level === "token" ? tokenSimilarity(token(a), token(b)) : nameSimilarity(a, b);
    expectScore(score, expectation);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  });
});

describe("tokenSimilarity", () => {
  it("matches an initial with a token of that first letter, before folding", () => {
    const [j] = normalizeName("J. Carver");
    expect(tokenSimilarity(j as never, token("John"))).toBe(0.95);
    expect(tokenSimilarity(j as never, token("Kate"))).toBe(0);
    expect(tokenSimilarity(j as never, j as never)).toBe(1);
  });
});

describe("scoreBound", () => {
  it("is never below the score of two names whose merged runs match nothing", () => {
    const names = scorePairs(pairsCsv).flatMap((p) => [p.query, p.listed]);
    let compared = 0;
    for (let i = 0; i < names.length; i += 7) {
      for (let j = 1; j < names.length; j += 11) {
        const [a, b] = [normalizeName(names[i] as string), normalizeName(names[j] as string)];
        const runs = matchingRuns(a, b);
        if (runs.a.length > 0 || runs.b.length > 0) continue;
        const best = (side: 0 | 1, index: number) => {
          const [self, other] = side === 0 ? [a, b] : [b, a];
          return Math.max(0, ...other.map((o) => credit(tokenSimilarity(self[index] as never, o))));
        };
        expect(scoreBound(a, b, best)).toBeGreaterThanOrEqual(scoreNames(a, b) - 1e-9);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
