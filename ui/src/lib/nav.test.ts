import { describe, expect, it } from "vitest";
import { lastScreen, neighbour, rememberScreen, SCREENS } from "./nav";

function memory() {
  const values = new Map<string, string>();
  return {
    getItem: (k: string) => values.get(k) ?? null,
    setItem: (k: string, v: string) => void values.set(k, v),
  };
}

describe("screens", () => {
  it("remembers the last screen and starts on the plugin the first time", () => {
    const storage = memory();
    expect(lastScreen(storage)).toBe("plugin");
    rememberScreen("keys", storage);
    expect(lastScreen(storage)).toBe("keys");
  });

  it("ignores a saved value that is no screen, and storage that throws", () => {
    expect(lastScreen({ getItem: () => "admin-panel" })).toBe("plugin");
    expect(
      lastScreen({
        getItem: () => {
          throw new Error("denied");
        },
      }),
    ).toBe("plugin");
    expect(() =>
      rememberScreen("keys", {
        setItem: () => {
          throw new Error("full");
        },
      }),
    ).not.toThrow();
  });

  it("arrow keys wrap around the sidebar", () => {
    const first = SCREENS[0]!.id;
    const last = SCREENS[SCREENS.length - 1]!.id;
    expect(neighbour(last, 1)).toBe(first);
    expect(neighbour(first, -1)).toBe(last);
    expect(neighbour(first, 1)).toBe(SCREENS[1]!.id);
  });
});
