import { describe, expect, it } from "vitest";
import { orgFormSlot, placeProblems } from "./fields";

describe("problems on the org form", () => {
  it("go next to their input, or above the form when it has none", () => {
    const placed = placeProblems([
      { field: "org", message: "Name the organisation." },
      { field: "server", message: "Use https." },
      { field: "plugins[0].slug", message: "Bad slug." },
      { field: "repository", message: "owner/repo." },
    ]);
    expect(placed.bySlot).toEqual({ org: "Name the organisation.", server: "Use https." });
    expect(placed.elsewhere).toEqual(["Bad slug.", "owner/repo."]);
  });

  it("a second problem for the same input is not lost", () => {
    const placed = placeProblems([
      { field: "project", message: "First." },
      { field: "project", message: "Second." },
    ]);
    expect(placed.bySlot.project).toBe("First.");
    expect(placed.elsewhere).toEqual(["Second."]);
  });

  it("knows which fields the form has", () => {
    expect(orgFormSlot("email")).toBe("email");
    expect(orgFormSlot("key")).toBeNull();
    expect(orgFormSlot("plugins[3].servers[0].url")).toBeNull();
  });
});
