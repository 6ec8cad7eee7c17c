// The app's screens, in sidebar order, and the one the admin was on last.

export type ScreenId = "plugin" | "connections" | "marketplace" | "keys" | "check" | "settings";

export interface Screen {
  id: ScreenId;
  title: string;
  hint: string;
}

export const SCREENS: readonly Screen[] = [
  { id: "plugin", title: "Observability plugin", hint: "Preview and download the plugin" },
  { id: "connections", title: "Connections", hint: "Gram and GitHub" },
  { id: "marketplace", title: "Marketplace", hint: "Publish the plugin repository" },
  { id: "keys", title: "Keys", hint: "Hooks keys this app minted" },
  { id: "check", title: "Check hook", hint: "Send one test event" },
  { id: "settings", title: "Roll out", hint: "Every teammate, no command" },
];

const LAST_SCREEN = "gram-admin.last-screen";

export function isScreen(value: unknown): value is ScreenId {
  return SCREENS.some((s) => s.id === value);
}

/** The screen the admin was on when the app last closed; the plugin screen the first time. */
export function lastScreen(storage: Pick<Storage, "getItem"> | undefined = globalThis.localStorage): ScreenId {
  try {
    const saved = storage?.getItem(LAST_SCREEN);
    return isScreen(saved) ? saved : "plugin";
  } catch {
    return "plugin";
  }
}

export function rememberScreen(
  id: ScreenId,
  storage: Pick<Storage, "setItem"> | undefined = globalThis.localStorage,
): void {
  try {
    storage?.setItem(LAST_SCREEN, id);
  } catch {
    // Storage may be unavailable (private mode); remembering is a convenience.
  }
}

/** The screen after (or before) `id` in sidebar order, wrapping: arrow keys in the sidebar. */
export function neighbour(id: ScreenId, step: 1 | -1): ScreenId {
  const i = SCREENS.findIndex((s) => s.id === id);
  const n = SCREENS.length;
  return (SCREENS[(i + step + n) % n] as Screen).id;
}
