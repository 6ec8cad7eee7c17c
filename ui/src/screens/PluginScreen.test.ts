// The plugin screen with the backend replaced (vi.mock of the one module that talks to Tauri).
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { PreviewFile } from "../bindings/PreviewFile";
import { app } from "../lib/app.svelte";
import { toasts } from "../lib/toasts.svelte";
import PluginScreen from "./PluginScreen.svelte";

vi.mock("../tauri", () => ({
  previewPlugin: vi.fn(),
  exportPluginZip: vi.fn(),
  onExportStep: vi.fn(async () => () => {}),
  gramChooseProject: vi.fn(),
  contentLevel: vi.fn(async () => "full"),
  setContentLevel: vi.fn(async () => {}),
}));
const tauri = await import("../tauri");

const FULL = `gram_local_${"0".repeat(64)}`;
function files(reveal: boolean): PreviewFile[] {
  const key = reveal ? FULL : "gram_local_00000…";
  return [
    { path: "hooks/hooks.json", mode: "regular", size: 20, text: '{"hooks": {}}' },
    { path: ".claude-plugin/plugin.json", mode: "regular", size: 10, text: '{"name": "acme-corp-observability"}' },
    { path: "hooks/gram-hook.curlrc", mode: "regular", size: 30, text: `header = "Gram-Key: ${key}"` },
    { path: "hooks/gram-hook.sh", mode: "executable", size: 9, text: "#!/bin/sh" },
  ];
}

beforeEach(() => {
  toasts.splice(0);
  app.gram = { state: "signed_out", server: null };
  app.platforms = [
    { platform: "claude", display_name: "Claude Code" },
    { platform: "cursor", display_name: "Cursor" },
  ];
  app.manual = { org_name: "Acme Corp", project_slug: "default", server_url: "https://app.getgram.ai", org_email: "" };
  vi.mocked(tauri.previewPlugin).mockImplementation(async (_c, _p, reveal) => files(!!reveal));
});

describe("the observability plugin screen", () => {
  it("previews hooks/hooks.json first, with the key masked", async () => {
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect(screen.getByTestId("file-title").textContent).toContain("hooks/hooks.json"));
    expect(tauri.previewPlugin).toHaveBeenLastCalledWith(
      { org_name: "Acme Corp", project_slug: "default", server_url: "https://app.getgram.ai" },
      "claude",
      false,
    );
    await fireEvent.click(screen.getByText("gram-hook.curlrc"));
    expect(screen.getByTestId("file-text").textContent).toContain("gram_local_00000…");
    expect(document.body.textContent).not.toContain(FULL);
  });

  it("loads the privacy level remembered for the project, and a new choice is saved and previewed", async () => {
    vi.mocked(tauri.contentLevel).mockResolvedValue("metadata");
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect(tauri.contentLevel).toHaveBeenCalledWith("default"));
    await waitFor(() => expect((screen.getByTestId("content-metadata") as HTMLInputElement).checked).toBe(true));
    await waitFor(() =>
      expect(tauri.previewPlugin).toHaveBeenLastCalledWith(
        expect.objectContaining({ project_slug: "default", content: "metadata" }),
        "claude",
        false,
      ),
    );
    await fireEvent.click(screen.getByTestId("content-full"));
    expect(tauri.setContentLevel).toHaveBeenCalledWith("default", "full");
    await waitFor(() =>
      expect(tauri.previewPlugin).toHaveBeenLastCalledWith(
        { org_name: "Acme Corp", project_slug: "default", server_url: "https://app.getgram.ai" },
        "claude",
        false,
      ),
    );
    vi.mocked(tauri.contentLevel).mockResolvedValue("full");
  });

  it("reveals the key on request and masks it again, keeping the file selected", async () => {
    render(PluginScreen, { go: () => {} });
    await waitFor(() => screen.getByText("gram-hook.curlrc"));
    await fireEvent.click(screen.getByText("gram-hook.curlrc"));
    await fireEvent.click(screen.getByTestId("reveal"));
    await waitFor(() => expect(screen.getByTestId("file-text").textContent).toContain(FULL));
    expect(screen.getByTestId("reveal").getAttribute("aria-pressed")).toBe("true");
    await fireEvent.click(screen.getByTestId("reveal"));
    await waitFor(() => expect(document.body.textContent).not.toContain(FULL));
    expect(screen.getByTestId("file-title").textContent).toContain("gram-hook.curlrc");
  });

  it("switches agent with the arrow keys and starts again at hooks.json", async () => {
    render(PluginScreen, { go: () => {} });
    await waitFor(() => screen.getByText("gram-hook.sh"));
    await fireEvent.click(screen.getByText("gram-hook.sh"));
    const claude = screen.getByRole("radio", { name: "Claude Code" });
    vi.mocked(tauri.previewPlugin).mockImplementation(async () => [
      { path: "hooks/hooks.json", mode: "regular", size: 2, text: "{}" },
      { path: ".cursor-plugin/plugin.json", mode: "regular", size: 2, text: "{}" },
    ]);
    await fireEvent.keyDown(claude, { key: "ArrowRight" });
    await waitFor(() => expect(tauri.previewPlugin).toHaveBeenLastCalledWith(expect.anything(), "cursor", false));
    expect(screen.getByRole("radio", { name: "Cursor" }).getAttribute("aria-checked")).toBe("true");
    await waitFor(() => expect(screen.getByTestId("file-title").textContent).toContain("hooks/hooks.json"));
  });

  it("puts field problems next to their inputs", async () => {
    vi.mocked(tauri.previewPlugin).mockRejectedValue({
      code: "invalid_input",
      message: "…",
      problems: [{ field: "server", message: "Gram's URL must start with https://." }],
    });
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect(screen.getByText("Gram's URL must start with https://.")).toBeTruthy());
    expect(document.querySelector('input[name="server_url"]')?.getAttribute("aria-invalid")).toBe("true");
    expect((screen.getByTestId("download") as HTMLButtonElement).disabled).toBe(true);
  });

  it("a download says where the ZIP went and which key it carries", async () => {
    vi.mocked(tauri.exportPluginZip).mockResolvedValue({
      path: "/home/admin/acme.zip",
      minted: true,
      key_name: "gram-admin-hooks-claude-20261125-140000",
      key_prefix: "gram_live_1a2b3",
      files: 4,
      bytes: 2000,
    });
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect((screen.getByTestId("download") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("download"));
    await waitFor(() => expect(toasts).toHaveLength(1));
    expect(toasts[0]).toMatchObject({ kind: "ok", title: "Saved /home/admin/acme.zip" });
    expect(toasts[0]?.detail).toContain("gram_live_1a2b3…");
  });

  it("a download Gram refuses asks to sign in again", async () => {
    vi.mocked(tauri.exportPluginZip).mockRejectedValue({
      code: "not_signed_in",
      message: "Gram says you are not signed in — sign in again.",
      problems: [],
    });
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect((screen.getByTestId("download") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("download"));
    await waitFor(() => expect(toasts).toHaveLength(1));
    expect(toasts[0]).toMatchObject({ kind: "error", remedy: { label: "Sign in to Gram", screen: "connections" } });
    expect(app.gram.state).toBe("signed_out");
  });

  it("a cancelled save dialog is not an error", async () => {
    vi.mocked(tauri.exportPluginZip).mockResolvedValue(null);
    render(PluginScreen, { go: () => {} });
    await waitFor(() => expect((screen.getByTestId("download") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("download"));
    await waitFor(() => expect(tauri.exportPluginZip).toHaveBeenCalled());
    expect(toasts).toHaveLength(0);
  });
});
