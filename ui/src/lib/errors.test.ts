import { describe, expect, it } from "vitest";
import { asAppError, remedyFor } from "./errors";

describe("errors", () => {
  it("a lost Gram session takes the admin to sign in; GitHub's to connect", () => {
    expect(remedyFor({ code: "not_signed_in", message: "", problems: [] })).toEqual({
      label: "Sign in to Gram",
      screen: "connections",
    });
    expect(remedyFor({ code: "github_not_signed_in", message: "", problems: [] })?.label).toBe("Connect GitHub");
    expect(remedyFor({ code: "network", message: "", problems: [] })).toBeNull();
  });

  it("keeps an AppError as it came, and wraps anything else as internal", () => {
    const e = { code: "io", message: "disk full", problems: [] } as const;
    expect(asAppError(e)).toEqual(e);
    expect(asAppError(new Error("boom"))).toEqual({ code: "internal", message: "boom", problems: [] });
    expect(asAppError("command not found")).toMatchObject({ code: "internal", message: "command not found" });
  });
});
