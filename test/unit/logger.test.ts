import { describe, expect, it } from "vitest";
import { loggablePath } from "../../src/logger";

describe("loggablePath", () => {
  it("redacts token-like segments and keeps ids and words", () => {
    const token = "pQ3x_9-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    expect(loggablePath(`/api/v1/invitations/${token}/accept`)).toBe("/api/v1/invitations/[redacted]/accept");
    const id = "0b3c1e9a-5a7e-4c1b-9f0e-3d2c1b0a9f8e";
    expect(loggablePath(`/api/v1/users/${id}/unlock`)).toBe(`/api/v1/users/${id}/unlock`);
    expect(loggablePath("/api/v1/organizations")).toBe("/api/v1/organizations");
  });
});
