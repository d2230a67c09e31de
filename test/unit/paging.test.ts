import { describe, expect, it } from "vitest";
import { isUniqueViolation, unlessDuplicate } from "../../src/db/unique";
import { AppError } from "../../src/errors";
import { encodeCursor, pageOf, seqCursor, timeCursor } from "../../src/services/pagination";

const position = {
  createdAt: new Date("2026-01-01T00:00:00.123Z"),
  id: "0b6f3c1e-8d4a-4f7e-9c2b-5a1d3e7f9b20",
};

const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return error as AppError;
  }
  throw new Error("accepted");
};

describe("cursors", () => {
  it("name the position they were made from, as unpadded base64url", () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(timeCursor(cursor)).toEqual(position);
    expect(seqCursor(encodeCursor({ seq: 42 }))).toEqual({ seq: 42 });
    expect(timeCursor(undefined)).toBeUndefined();
  });

  it("are refused with 400 when forged, garbled or of the other kind", () => {
    const forged = btoa(JSON.stringify({ t: "yesterday", i: position.id })).replace(/=+$/, "");
    for (const work of [
      () => timeCursor("not a cursor"),
      () => timeCursor(forged),
      () => timeCursor(encodeCursor({ seq: 1 })),
      () => seqCursor(encodeCursor(position)),
    ]) {
      const error = refusal(work);
      expect(error).toBeInstanceOf(AppError);
      expect(error.status).toBe(400);
    }
  });
});

describe("pageOf", () => {
  it("gives a next cursor only when a row beyond the page was read", () => {
    const rows = [1, 2, 3].map((n) => ({ seq: n }));
    const page = pageOf(rows, 2, (row) => row);
    expect(page.items).toEqual([{ seq: 1 }, { seq: 2 }]);
    expect(seqCursor(page.nextCursor ?? undefined)).toEqual({ seq: 2 });
    expect(pageOf(rows, 3, (row) => row).nextCursor).toBeNull();
  });
});

describe("unique violations", () => {
  // As drizzle surfaces a driver error: its own error with the driver's as the cause.
  const violation = (constraint: string) =>
    Object.assign(new Error("Failed query"), { cause: { code: "23505", constraint } });

  it("are recognised by the index that judged them", () => {
    expect(isUniqueViolation(violation("assets_tenant_symbol_key"))).toBe(true);
    expect(isUniqueViolation(violation("assets_tenant_symbol_key"), ["assets_tenant_symbol_key"])).toBe(true);
    expect(isUniqueViolation(violation("assets_pkey"), ["assets_tenant_symbol_key"])).toBe(false);
    expect(isUniqueViolation({ cause: { code: "23514", constraint: "x" } })).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });

  it("become the caller's conflict on a named index, and pass through otherwise", async () => {
    const conflict = () => new AppError("conflict", "taken");
    await expect(
      unlessDuplicate(["assets_tenant_symbol_key"], conflict, () =>
        Promise.reject(violation("assets_tenant_symbol_key")),
      ),
    ).rejects.toMatchObject({ code: "conflict", status: 409 });
    const other = violation("assets_pkey");
    await expect(
      unlessDuplicate(["assets_tenant_symbol_key"], conflict, () => Promise.reject(other)),
    ).rejects.toBe(other);
    await expect(unlessDuplicate(["assets_tenant_symbol_key"], conflict, async () => 7)).resolves.toBe(7);
  });
});
