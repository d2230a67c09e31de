import { describe, expect, it } from "vitest";
import { parseSdnList, SdnFormatError } from "../../../src/services/compliance/sdn-list";

// Made-up parties, written as OFAC writes sdn.csv: no header, CRLF, `-0- ` for null, quoted text, programs as
// `A] [B`, individuals as `LAST, First`, weak aliases in the remarks, and a final line holding only Ctrl-Z.
const SDN = [
  '9001,"KORVALENKO, Dmitriy Arkadyevich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 02 Mar 1971; nationality Russia; a.k.a. \'DIMA\'."',
  '9002,"NORTHWIND MARITIME CO., LTD.",-0- ,"SDGT] [IRGC",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Linked To: KORVALENKO, Dmitriy Arkadyevich."',
  '9003,"SEA LANTERN","vessel","IRAN",-0- ,"9HXQ4","Crude Oil Tanker","105000","58000","Malta",-0- ,"Vessel Registration Identification IMO 9999991; f.k.a. \'OCEAN LANTERN\'."',
  '9004,"AL-QADIRI, Yusuf Hamad","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'ABU-\'UMAR\'; a.k.a. \'DOCTOR Y.H.Q.\'."',
  '9005,"SKYFERRY 7","aircraft","VENEZUELA-EO13850",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
  "\x1a",
  "",
].join("\r\n");

const ALT = [
  '9001,501,"aka","KORVALENKO, Dmitri",-0- ',
  '9002,502,"fka","NORTH WIND SHIPPING LLC",-0- ',
  '9002,503,"nka","NW MARINE TRADING FZE",-0- ',
  '9004,504,"a.k.a.","AL QADIRI, Youssef",-0- ',
  '9004,505,"aka","ABU-\'UMAR",-0- ',
  "",
].join("\r\n");

describe("parseSdnList", () => {
  it("reads entries, their programs, nulls and aliases from both files", () => {
    const { entries, problems } = parseSdnList({ sdn: SDN, alt: ALT });
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.id, e.type])).toEqual([
      [9001, "individual"],
      [9002, "entity"],
      [9003, "vessel"],
      [9004, "individual"],
      [9005, "aircraft"],
    ]);
    const [person, company, vessel, yusuf, aircraft] = entries;
    expect(person).toEqual({
      id: 9001,
      name: "KORVALENKO, Dmitriy Arkadyevich",
      type: "individual",
      programs: ["RUSSIA-EO14024"],
      remarks: "DOB 02 Mar 1971; nationality Russia; a.k.a. 'DIMA'.",
      aliases: [
        { name: "DIMA", type: "aka", weak: true },
        { name: "KORVALENKO, Dmitri", type: "aka", weak: false },
      ],
    });
    // A comma inside quotes is part of the name; two programs share one field.
    expect(company?.name).toBe("NORTHWIND MARITIME CO., LTD.");
    expect(company?.programs).toEqual(["SDGT", "IRGC"]);
    expect(company?.aliases.map((a) => [a.name, a.type])).toEqual([
      ["NORTH WIND SHIPPING LLC", "fka"],
      ["NW MARINE TRADING FZE", "nka"],
    ]);
    expect(vessel?.aliases).toEqual([{ name: "OCEAN LANTERN", type: "fka", weak: true }]);
    // An apostrophe inside a weak alias does not end it; the strong alt.csv row wins over the weak remark.
    expect(yusuf?.aliases).toEqual([
      { name: "ABU-'UMAR", type: "aka", weak: false },
      { name: "DOCTOR Y.H.Q.", type: "aka", weak: true },
      { name: "AL QADIRI, Youssef", type: "aka", weak: false },
    ]);
    expect(aircraft).toMatchObject({ remarks: null, aliases: [] });
  });

  it("reports each malformed row with its line and reads the others", () => {
    const lines = SDN.split("\r\n");
    const broken = [
      lines[0],
      '9100,"UNCLOSED QUOTE,-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      lines[1],
      '9101,"TOO FEW FIELDS",-0- ,"SDGT"',
      'X9,"BAD ID",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      '9102,"BAD "QUOTE" INSIDE",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      '9103,"ODD TYPE","submarine","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      '9104,-0- ,-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      lines[0],
      ...lines.slice(2),
    ].join("\r\n");
    const alt = `${ALT}9999,600,"aka","NOBODY",-0- \r\n9001,601,"alias","X",-0- \r\n`;
    const { entries, problems } = parseSdnList({ sdn: broken, alt });
    expect(entries.map((e) => e.id)).toEqual([9001, 9002, 9003, 9004, 9005]);
    expect(problems.map((p) => [p.file, p.line])).toEqual([
      ["sdn", 2],
      ["sdn", 4],
      ["sdn", 5],
      ["sdn", 6],
      ["sdn", 7],
      ["sdn", 8],
      ["sdn", 9],
      ["alt", 6],
      ["alt", 7],
    ]);
    const reasons = problems.map((p) => p.reason);
    expect(reasons[0]).toMatch(/^not a CSV record/);
    expect(reasons[1]).toBe("expected 12 fields, found 4");
    expect(reasons[2]).toMatch(/ent_num is not a number/);
    expect(reasons[3]).toMatch(/^not a CSV record/);
    expect(reasons[4]).toMatch(/unknown SDN_Type "submarine"/);
    expect(reasons[5]).toBe("SDN_Name is empty");
    expect(reasons[6]).toBe("ent_num 9001 is listed twice");
    expect(reasons[7]).toBe("ent_num 9999 is not in sdn.csv");
    expect(reasons[8]).toMatch(/unknown alt_type "alias"/);
  });

  it("accepts LF or lone-CR line ends and a byte-order mark", () => {
    for (const text of [`\uFEFF${SDN.replaceAll("\r\n", "\n")}`, SDN.replaceAll("\r\n", "\r")]) {
      const { entries, problems } = parseSdnList({ sdn: text });
      expect(problems).toEqual([]);
      expect(entries).toHaveLength(5);
    }
  });

  it("refuses files that are not in the format at all", () => {
    const refusals = [
      { sdn: "" },
      { sdn: "\x1a\r\n" },
      { sdn: '<?xml version="1.0"?>\n<sdnList>\n<sdnEntry><uid>1</uid></sdnEntry>\n</sdnList>\n' },
      { sdn: "id,name,type\n1,Jane Doe,individual\n2,Acme,entity\n" },
      { sdn: SDN, alt: SDN },
    ];
    for (const files of refusals) {
      expect(() => parseSdnList(files), JSON.stringify(files).slice(0, 60)).toThrow(SdnFormatError);
    }
    try {
      parseSdnList({ sdn: SDN, alt: SDN });
    } catch (error) {
      expect(error).toBeInstanceOf(SdnFormatError);
      expect((error as SdnFormatError).file).toBe("alt");
      expect((error as Error).message).toMatch(
        /^alt\.csv is not in the OFAC SDN CSV format: 5 of its first 5/,
      );
    }
  });
});
