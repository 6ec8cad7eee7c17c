import { describe, expect, it } from "vitest";
import { highlight, languageOf } from "./highlight";

const joined = (lines: ReturnType<typeof highlight>) => lines.map((l) => l.map((t) => t.text).join("")).join("\n");

describe("highlight", () => {
  it("gives every line back exactly, in any language", () => {
    const json = '{\n  "hooks": {"Stop": [{"timeout": 5, "async": false, "x": null}]}\n}';
    const sh = '#!/bin/sh\n# comment\nset -eu\ncurl --config "$here/gram-hook.curlrc" -d @- || exit 0';
    for (const [text, lang] of [[json, "json"], [sh, "shell"], ["# Title\n```json\n", "markdown"], ["a\tb", "plain"]] as const) {
      expect(joined(highlight(text, lang))).toBe(text);
    }
  });

  it("tells JSON keys from string values, numbers and literals", () => {
    const [line] = highlight('"timeout": 5, "type": "command", "async": true', "json");
    const kinds = Object.fromEntries((line ?? []).filter((t) => t.kind !== "plain").map((t) => [t.text, t.kind]));
    expect(kinds['"timeout"']).toBe("key");
    expect(kinds['"command"']).toBe("string");
    expect(kinds["5"]).toBe("number");
    expect(kinds["true"]).toBe("literal");
  });

  it("makes a Gram key its own token, masked or in full", () => {
    const masked = highlight('header = "Gram-Key: gram_live_1a2b3…"', "shell")[0] ?? [];
    expect(masked.filter((t) => t.kind === "secret").map((t) => t.text)).toEqual(["gram_live_1a2b3…"]);
    const full = `gram_local_${"0".repeat(64)}`;
    const shown = highlight(`"${full}"`, "json")[0] ?? [];
    expect(shown.find((t) => t.kind === "secret")?.text).toBe(full);
    // Not key-shaped: left alone.
    expect(highlight("gram_admin_hooks", "plain")[0]?.some((t) => t.kind === "secret")).toBe(false);
  });

  it("colours shell comments, variables and keywords", () => {
    const [line] = highlight('if [ -n "$X" ]; then echo ${HOME} # done', "shell");
    const kinds = (line ?? []).map((t) => t.kind);
    expect(kinds).toContain("keyword");
    expect(kinds).toContain("variable");
    expect(line?.[line.length - 1]).toEqual({ kind: "comment", text: "# done" });
  });

  it("picks the language from the file name", () => {
    expect(languageOf("hooks/hooks.json")).toBe("json");
    expect(languageOf("hooks/gram-hook.sh")).toBe("shell");
    expect(languageOf("hooks/gram-hook.curlrc")).toBe("shell");
    expect(languageOf("README.md")).toBe("markdown");
    expect(languageOf("LICENSE")).toBe("plain");
  });
});
