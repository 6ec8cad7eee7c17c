import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiKey } from "../bindings/ApiKey";
import { app } from "../lib/app.svelte";
import { toasts } from "../lib/toasts.svelte";
import KeysScreen from "./KeysScreen.svelte";

vi.mock("../tauri", () => ({
  listAppKeys: vi.fn(),
  revokeAppKey: vi.fn(),
  retireKeys: vi.fn(async () => ({ revoked: [], pending: [], problems: [] })),
}));
const tauri = await import("../tauri");

const key: ApiKey = {
  id: "k1",
  name: "gram-admin-hooks-claude-20261125-140000",
  key_prefix: "gram_live_1a2b3",
  scopes: ["hooks"],
  created_at: "2026-11-25T14:00:00Z",
  last_accessed_at: null,
  created_by_user_id: null,
};

beforeEach(() => {
  toasts.splice(0);
  // jsdom has no modal dialogs: open and close them as attributes.
  HTMLDialogElement.prototype.showModal = function () {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function () {
    this.removeAttribute("open");
    this.dispatchEvent(new Event("close"));
  };
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
});

describe("the keys screen", () => {
  it("asks to sign in when nobody is", () => {
    app.gram = { state: "signed_out", server: null };
    const go = vi.fn();
    render(KeysScreen, { go });
    expect(screen.getByText("Sign in to Gram to see your keys")).toBeTruthy();
    expect(tauri.listAppKeys).not.toHaveBeenCalled();
  });

  it("lists the minted keys by prefix, and revokes one only after confirming", async () => {
    vi.mocked(tauri.listAppKeys).mockResolvedValue([key]);
    vi.mocked(tauri.revokeAppKey).mockResolvedValue(key);
    render(KeysScreen, { go: () => {} });
    await waitFor(() => screen.getByText(key.name));
    expect(screen.getByText("gram_live_1a2b3…")).toBeTruthy();
    await fireEvent.click(screen.getByText("Revoke…"));
    expect(tauri.revokeAppKey).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-revoke"));
    await waitFor(() => expect(screen.getByText("No keys minted yet")).toBeTruthy());
    expect(tauri.revokeAppKey).toHaveBeenCalledWith("k1");
    expect(toasts[0]).toMatchObject({ kind: "ok", title: `Revoked ${key.name}` });
  });

  it("cancelling the confirmation revokes nothing", async () => {
    vi.mocked(tauri.listAppKeys).mockResolvedValue([key]);
    render(KeysScreen, { go: () => {} });
    await waitFor(() => screen.getByText(key.name));
    await fireEvent.click(screen.getByText("Revoke…"));
    await fireEvent.click(screen.getByText("Cancel"));
    expect(tauri.revokeAppKey).not.toHaveBeenCalled();
    expect(screen.getByText(key.name)).toBeTruthy();
  });

  it("shows why the keys could not be listed, and lists them again on Try again", async () => {
    vi.mocked(tauri.listAppKeys)
      .mockRejectedValueOnce({ code: "network", message: "Gram could not be reached.", problems: [] })
      .mockResolvedValueOnce([key]);
    render(KeysScreen, { go: () => {} });
    await waitFor(() => screen.getByText("Gram could not be reached."));
    await fireEvent.click(screen.getByText("Try again"));
    await waitFor(() => screen.getByText(key.name));
  });

  it("shows when a key a rotation replaced is retiring, and offers to revoke it now", async () => {
    vi.mocked(tauri.listAppKeys).mockResolvedValue([key]);
    vi.mocked(tauri.retireKeys).mockResolvedValue({
      revoked: [],
      pending: [
        {
          id: "k1",
          name: key.name,
          key_prefix: key.key_prefix,
          replaced_by_prefix: "gram_live_9f8e7",
          revoke_at: "2026-12-08T09:00:00Z",
          days_left: 3,
          sentence: "Key gram_live_1a2b3… (replaced by gram_live_9f8e7…) is revoked in 3 days.",
        },
      ],
      problems: [],
    });
    render(KeysScreen, { go: () => {} });
    await waitFor(() => screen.getByTestId("retiring"));
    expect(screen.getByTestId("retiring").textContent).toBe("retiring in 3 days");
    expect(tauri.retireKeys).toHaveBeenCalled();
    expect(screen.getByText("Revoke now…")).toBeTruthy();
  });
});
