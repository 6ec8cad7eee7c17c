// The marketplace screen with the backend replaced: which project's plugins it shows.
import { render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FeaturePlugin } from "../bindings/FeaturePlugin";
import type { GramAccount } from "../bindings/GramAccount";
import { app } from "../lib/app.svelte";
import MarketplaceScreen from "./MarketplaceScreen.svelte";

vi.mock("../tauri", () => ({
  orgPlugins: vi.fn(),
  previewMarketplace: vi.fn(async () => []),
  planPublish: vi.fn(),
  marketplaceStatus: vi.fn(),
  publishMarketplace: vi.fn(),
  cancelPublish: vi.fn(),
  githubOpenPage: vi.fn(),
  onPublishEvent: vi.fn(async () => () => {}),
  contentLevel: vi.fn(async () => "full"),
  setContentLevel: vi.fn(async () => {}),
}));
const tauri = await import("../tauri");

function account(project: string): GramAccount {
  return {
    server: "https://gram.acme.test",
    email: "admin@acme.test",
    organization: "Acme Corp",
    organization_slug: "acme-corp",
    projects: [
      { id: "1", name: "Default", slug: "default" },
      { id: "2", name: "Staging", slug: "staging" },
    ],
    project,
  };
}

function plugin(slug: string): FeaturePlugin {
  return { slug, name: `Plugin ${slug}`, description: "", servers: [] };
}

/** A promise the test settles when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

beforeEach(() => {
  app.gram = { state: "signed_in", account: account("default") };
  app.github = { state: "signed_out" };
  app.repository = "";
});

describe("the marketplace screen", () => {
  it("never shows the previous project's plugins once another project is chosen", async () => {
    const first = deferred<FeaturePlugin[]>();
    const second = deferred<FeaturePlugin[]>();
    vi.mocked(tauri.orgPlugins).mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    render(MarketplaceScreen, { go: () => {} });
    await waitFor(() => expect(tauri.orgPlugins).toHaveBeenCalledTimes(1));

    app.gram = { state: "signed_in", account: account("staging") };
    await waitFor(() => expect(tauri.orgPlugins).toHaveBeenCalledTimes(2));
    second.resolve([plugin("staging-tools")]);
    await waitFor(() => screen.getByText("Plugin staging-tools"));
    // The answer for the project no longer chosen arrives last: it must not replace the list.
    first.resolve([plugin("default-tools")]);
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.queryByText("Plugin default-tools")).toBeNull();
    expect(screen.getByText("Plugin staging-tools")).toBeTruthy();
  });

  it("shows the new project's list only, not the old one while it loads", async () => {
    const second = deferred<FeaturePlugin[]>();
    vi.mocked(tauri.orgPlugins).mockResolvedValueOnce([plugin("default-tools")]).mockReturnValueOnce(second.promise);
    render(MarketplaceScreen, { go: () => {} });
    await waitFor(() => screen.getByText("Plugin default-tools"));
    app.gram = { state: "signed_in", account: account("staging") };
    await waitFor(() => screen.getByText("Reading your plugins from Gram…"));
    expect(screen.queryByText("Plugin default-tools")).toBeNull();
    second.resolve([]);
    await waitFor(() => screen.getByText("No plugins in this project"));
  });

  it("says the repository's state at a glance once both are signed in", async () => {
    app.github = { state: "signed_in", login: "octo", source: "keychain" };
    app.repository = "acme/agent-plugins";
    vi.mocked(tauri.orgPlugins).mockResolvedValue([]);
    vi.mocked(tauri.marketplaceStatus).mockResolvedValue({
      repo: "acme/agent-plugins",
      branch: "main",
      state: "changes",
      repository_exists: true,
      changes: 3,
      added: 1,
      changed: 2,
      removed: 0,
      new_key: false,
      last: { sha: "abc1234def", author: "Ada", date: "2026-12-04T10:00:00Z", message: "Publish", url: "https://github.com/x" },
    });
    render(MarketplaceScreen, { go: () => {} });
    await waitFor(() => screen.getByTestId("marketplace-status"));
    const text = screen.getByTestId("marketplace-status").textContent ?? "";
    expect(text).toContain("3 changes to publish — last commit abc1234,");
    expect(text).toContain("by Ada.");
    expect(vi.mocked(tauri.marketplaceStatus).mock.calls[0]?.[1]).toBe("acme/agent-plugins");
  });
});
