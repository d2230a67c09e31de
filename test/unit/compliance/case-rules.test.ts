import { describe, expect, it } from "vitest";
import { CASE_STATUSES } from "../../../src/db/schema";
import { shownStatus, TRANSITIONS } from "../../../src/services/compliance/cases";
import { SAR_CSV_COLUMNS, sarCsv } from "../../../src/services/compliance/sar-exports";
import { PERMISSIONS, ROLE_RANK } from "../../../src/services/tenancy/permissions";

const rank = (permission: keyof typeof PERMISSIONS) => ROLE_RANK[PERMISSIONS[permission].minRole];

describe("case rules", () => {
  it("never lead out of a closed state, and reach closed_sar_filed only through escalation", () => {
    expect(TRANSITIONS.closed_no_action).toEqual([]);
    expect(TRANSITIONS.closed_sar_filed).toEqual([]);
    const into = (target: string) =>
      CASE_STATUSES.filter((from) => TRANSITIONS[from].includes(target as never));
    expect(into("closed_sar_filed")).toEqual(["escalated"]);
    expect(into("escalated")).toEqual(["investigating"]);
  });

  it("hide how a case closed from a caller without sars:read, and nothing else", () => {
    expect(shownStatus("closed_sar_filed", false)).toBe("closed");
    expect(shownStatus("closed_no_action", false)).toBe("closed");
    expect(shownStatus("closed_sar_filed", true)).toBe("closed_sar_filed");
    for (const status of ["open", "investigating", "escalated"] as const) {
      expect(shownStatus(status, false)).toBe(status);
    }
  });

  it("keep what shows SARs at the SARs' tier or above, and cases below them", () => {
    expect(rank("compliance:oversight")).toBeGreaterThanOrEqual(rank("sars:read"));
    expect(rank("sars:manage")).toBeGreaterThanOrEqual(rank("sars:read"));
    expect(rank("sars:read")).toBeGreaterThan(rank("cases:read"));
    for (const permission of [
      "cases:read",
      "cases:manage",
      "sars:read",
      "sars:manage",
      "compliance:oversight",
    ] as const) {
      expect(PERMISSIONS[permission].wholeTenant, permission).toBe(true);
      expect("scope" in PERMISSIONS[permission], permission).toBe(false);
    }
  });
});

describe("SAR CSV", () => {
  const sar = {
    id: "5f0c6a52-4d0e-4a57-9a31-0c3c9f0f3e11",
    tenantId: "t",
    caseId: "c",
    status: "filed" as const,
    subjectIds: ["s"],
    transactionIds: [],
    activityFrom: new Date("2026-01-01T00:00:00Z"),
    activityTo: new Date("2026-01-03T00:00:00Z"),
    narrative: '=HYPERLINK("x"), then "more"',
    detectedAt: new Date("2026-01-04T00:00:00Z"),
    dueAt: new Date("2026-02-03T00:00:00Z"),
    preparedBy: "p",
    approvedBy: "a",
    approvedAt: new Date("2026-01-10T00:00:00Z"),
    filedBy: "a",
    filedAt: new Date("2026-01-11T00:00:00Z"),
    filingReference: "31000123456789",
    version: 3,
    createdAt: new Date("2026-01-05T00:00:00Z"),
    updatedAt: new Date("2026-01-11T00:00:00Z"),
    amounts: [
      { currency: "EUR", total: "5.00", transactions: 1 },
      { currency: "USD", total: "10.00", transactions: 2 },
    ],
    late: false,
  };

  it("writes a line per subject and currency, quoted and defused", () => {
    const csv = sarCsv({
      sar,
      filer: "Bank, N.A.",
      subjects: [
        {
          id: "s",
          kind: "entity",
          country: "DE",
          identity: { name: "Muster GmbH", registration_number: "HRB 1" },
        },
      ],
    });
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(SAR_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('initial,31000123456789,"Bank, N.A.",entity,Muster GmbH,HRB 1,');
    expect(lines[1]).toContain(",5.00,EUR,1,");
    expect(lines[2]).toContain(",10.00,USD,2,");
    expect(lines[1]).toContain(`"'=HYPERLINK(""x""), then ""more"""`);
  });
});
