import { describe, expect, it } from "vitest";
import { treeRows } from "./tree";

describe("treeRows", () => {
  it("lists folders before files at each level, files in name order", () => {
    const rows = treeRows([
      { path: "hooks/hooks.json" },
      { path: ".claude-plugin/plugin.json" },
      { path: "hooks/gram-hook.sh" },
      { path: "README.md" },
    ]);
    expect(rows.map((r) => `${"  ".repeat(r.depth)}${r.kind === "folder" ? `${r.name}/` : r.name}`)).toEqual([
      ".claude-plugin/",
      "  plugin.json",
      "hooks/",
      "  gram-hook.sh",
      "  hooks.json",
      "README.md",
    ]);
  });

  it("keeps each file's item and full path", () => {
    const item = { path: "a/b/c.txt", size: 3 };
    const file = treeRows([item]).find((r) => r.kind === "file");
    expect(file).toMatchObject({ path: "a/b/c.txt", depth: 2, item });
  });

  it("is empty for no files", () => {
    expect(treeRows([])).toEqual([]);
  });
});
