// The rollout screen with the backend replaced: one tab per channel, copy and save.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Rollout } from "../bindings/Rollout";
import { app } from "../lib/app.svelte";
import { toasts } from "../lib/toasts.svelte";
import RolloutScreen from "./RolloutScreen.svelte";

vi.mock("../tauri", () => ({ rolloutFiles: vi.fn(), saveRollout: vi.fn() }));
const tauri = await import("../tauri");

const files: Rollout[] = [
  {
    channel: "claude",
    title: "Claude Code",
    file_name: "managed-settings.json",
    text: '{ "enabledPlugins": { "acme-corp-observability@acme-corp-gram": true } }\n',
    where_to: "Deploy as managed-settings.json.",
  },
  {
    channel: "codex",
    title: "Codex",
    file_name: "config.toml",
    text: '[marketplaces.acme-corp-gram]\nsource = "https://github.com/acme/agent-plugins.git"\n',
    where_to: "Deploy as /etc/codex/config.toml.",
  },
];

beforeEach(() => {
  toasts.splice(0);
  app.gram = {
    state: "signed_in",
    account: {
      server: "https://gram.acme.test",
      email: "admin@acme.test",
      organization: "Acme Corp",
      organization_slug: "acme-corp",
      projects: [{ id: "p", name: "Default", slug: "default" }],
      project: "default",
    },
  };
  app.repository = "acme/agent-plugins";
  vi.mocked(tauri.rolloutFiles).mockReset().mockResolvedValue(files);
  vi.mocked(tauri.saveRollout).mockReset();
});

describe("the rollout screen", () => {
  it("asks for the repository first", () => {
    app.repository = "";
    render(RolloutScreen, { go: () => {} });
    expect(screen.getByText("Which repository holds the marketplace?")).toBeTruthy();
    expect(tauri.rolloutFiles).not.toHaveBeenCalled();
  });

  it("shows one tab per channel, the first chosen, and switches", async () => {
    render(RolloutScreen, { go: () => {} });
    await waitFor(() => screen.getByRole("tab", { name: "Codex" }));
    expect(screen.getByRole("tab", { name: "Claude Code" }).getAttribute("aria-selected")).toBe("true");
    expect(screen.getByTestId("file-text").textContent).toContain("acme-corp-observability@acme-corp-gram");
    await fireEvent.click(screen.getByRole("tab", { name: "Codex" }));
    expect(screen.getByTestId("file-text").textContent).toContain("[marketplaces.acme-corp-gram]");
    expect(screen.getByTestId("rollout-where").textContent).toBe("Deploy as /etc/codex/config.toml.");
  });

  it("saves the chosen channel's file through the native dialog", async () => {
    vi.mocked(tauri.saveRollout).mockResolvedValue("/tmp/config.toml");
    render(RolloutScreen, { go: () => {} });
    await waitFor(() => screen.getByRole("tab", { name: "Codex" }));
    await fireEvent.click(screen.getByRole("tab", { name: "Codex" }));
    await fireEvent.click(screen.getByTestId("save-rollout"));
    await waitFor(() => expect(toasts.some((t) => t.title === "Saved /tmp/config.toml")).toBe(true));
    expect(vi.mocked(tauri.saveRollout).mock.calls[0]?.[1]).toBe("acme/agent-plugins");
    expect(vi.mocked(tauri.saveRollout).mock.calls[0]?.[2]).toBe("codex");
  });
});
