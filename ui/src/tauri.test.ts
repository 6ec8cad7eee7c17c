// The one wrapper every command goes through: errors become AppErrors, and a lost session is
// reported to one handler (the app's), whichever screen's command found it.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { app, sessionLost } from "./lib/app.svelte";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const core = await import("@tauri-apps/api/core");
const tauri = await import("./tauri");

const account = {
  server: "https://gram.acme.test",
  email: "admin@acme.test",
  organization: "Acme Corp",
  organization_slug: "acme-corp",
  projects: [{ id: "1", name: "Default", slug: "default" }],
  project: "default",
};

const refused = { code: "not_signed_in", message: "Gram no longer accepts the saved session: sign in again.", problems: [] };

beforeEach(() => {
  app.gram = { state: "signed_in", account };
  app.github = { state: "signed_in", login: "octo", source: "keychain" };
});

describe("the command wrapper", () => {
  it("reports a refused Gram session once, from any command, and rejects with the AppError", async () => {
    const lost = vi.fn();
    tauri.onSessionLost(lost);
    vi.mocked(core.invoke).mockRejectedValue(refused);
    await expect(tauri.listAppKeys()).rejects.toEqual(refused);
    await expect(tauri.orgPlugins()).rejects.toEqual(refused);
    expect(lost.mock.calls).toEqual([["gram"], ["gram"]]);
    expect(core.invoke).toHaveBeenCalledWith("list_app_keys", undefined);
  });

  it("reports a lost GitHub token as GitHub's", async () => {
    const lost = vi.fn();
    tauri.onSessionLost(lost);
    vi.mocked(core.invoke).mockRejectedValue({ code: "github_not_signed_in", message: "Connect GitHub.", problems: [] });
    await expect(tauri.planPublish({ org_name: "a", project_slug: "b", server_url: "c" }, "acme/x")).rejects.toMatchObject({
      code: "github_not_signed_in",
    });
    expect(lost).toHaveBeenCalledWith("github");
  });

  it("a refused sign-in is not a lost session", async () => {
    const lost = vi.fn();
    tauri.onSessionLost(lost);
    vi.mocked(core.invoke).mockRejectedValue(refused);
    await expect(tauri.gramSignIn("https://gram.acme.test", "bad")).rejects.toEqual(refused);
    vi.mocked(core.invoke).mockRejectedValue({ code: "github_not_signed_in", message: "Cancelled.", problems: [] });
    await expect(tauri.githubDeviceFinish()).rejects.toMatchObject({ code: "github_not_signed_in" });
    expect(lost).not.toHaveBeenCalled();
  });

  it("turns anything else a command rejects with into an internal AppError", async () => {
    tauri.onSessionLost(() => {});
    vi.mocked(core.invoke).mockRejectedValue("the IPC went away");
    await expect(tauri.gramStatus()).rejects.toEqual({ code: "internal", message: "the IPC went away", problems: [] });
  });

  it("with the app's handler, every screen then shows Gram signed out (the server kept)", async () => {
    tauri.onSessionLost(sessionLost);
    vi.mocked(core.invoke).mockRejectedValue(refused);
    await expect(tauri.exportPluginZip({ org_name: "a", project_slug: "b", server_url: "c" }, "claude")).rejects.toEqual(refused);
    expect(app.gram).toEqual({ state: "signed_out", server: "https://gram.acme.test" });
    expect(app.github.state).toBe("signed_in");
    vi.mocked(core.invoke).mockRejectedValue({ code: "github_not_signed_in", message: "Connect GitHub.", problems: [] });
    await expect(tauri.githubStatus()).rejects.toMatchObject({ code: "github_not_signed_in" });
    expect(app.github).toEqual({ state: "signed_out" });
  });
});
