import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { PublishPlan } from "../bindings/PublishPlan";
import PublishFlow from "./PublishFlow.svelte";

function plan(over: Partial<PublishPlan> = {}): PublishPlan {
  return {
    repo: "acme/agent-plugins",
    branch: "main",
    repository_exists: true,
    can_push: true,
    head: "abc",
    tree: "def",
    added: [{ path: "README.md", mode_before: null, mode_after: "100644", diff: null }],
    changed: [{ path: "payments/.mcp.json", mode_before: "100644", mode_after: "100644", diff: "-a\n+b\n" }],
    removed: [{ path: "old.txt", mode_before: "100644", mode_after: null, diff: null }],
    unchanged_files: 7,
    ...over,
  };
}

const base = {
  planning: false,
  planError: null,
  publishing: false,
  events: [],
  outcome: null,
  publishError: null,
  onClose: () => {},
  onOpen: () => {},
};

describe("the publish flow", () => {
  it("shows what would be added, changed (with its diff) and removed, then asks to confirm", async () => {
    const onConfirm = vi.fn();
    render(PublishFlow, { props: { ...base, preview: { plan: plan(), new_key: true }, onConfirm } });
    expect(screen.getByText("1 added")).toBeTruthy();
    expect(screen.getByText("+ README.md")).toBeTruthy();
    expect(screen.getByText("− old.txt")).toBeTruthy();
    expect(screen.getByText("-a +b", { normalizer: (t) => t.replace(/\s+/g, " ").trim() })).toBeTruthy();
    expect(screen.getByText(/A hooks key is minted/)).toBeTruthy();
    await fireEvent.click(screen.getByTestId("confirm-publish"));
    expect(onConfirm).toHaveBeenCalledOnce();
  });

  it("says there is nothing to publish when the branch already holds the files", () => {
    render(PublishFlow, { props: { ...base, preview: { plan: plan({ added: [], changed: [], removed: [] }), new_key: false }, onConfirm: () => {} } });
    expect(screen.getByText("Nothing to publish")).toBeTruthy();
    expect(screen.queryByTestId("confirm-publish")).toBeNull();
  });

  it("a read-only token cannot confirm, and is told what to grant", () => {
    render(PublishFlow, { props: { ...base, preview: { plan: plan({ can_push: false }), new_key: false }, onConfirm: () => {} } });
    expect((screen.getByTestId("confirm-publish") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole("alert").textContent).toContain("Contents: Read and write");
  });

  it("lists each step as it starts, and links the commit at the end", async () => {
    const { rerender } = render(PublishFlow, { props: {
      ...base,
      preview: { plan: plan(), new_key: false },
      publishing: true,
      events: [
        { kind: "step", step: "read_repository" },
        { kind: "step", step: "create_commit" },
      ],
      onConfirm: () => {},
    } });
    const steps = screen.getByTestId("publish-steps").querySelectorAll("li");
    expect([...steps].map((s) => s.textContent)).toEqual(["Reading the repository", "Creating the commit"]);
    expect(steps[1]?.classList.contains("current")).toBe(true);
    const onOpen = vi.fn();
    await rerender({
      ...base,
      preview: { plan: plan(), new_key: false },
      onConfirm: () => {},
      onOpen,
      outcome: {
        repo: "acme/agent-plugins",
        branch: "main",
        commit: "0123456789abcdef",
        url: "https://github.com/acme/agent-plugins/commit/0123456789abcdef",
        changed: true,
        created_repository: false,
        seeded: false,
        attempts: 1,
      },
    });
    await fireEvent.click(screen.getByTestId("open-commit"));
    expect(onOpen).toHaveBeenCalledWith("https://github.com/acme/agent-plugins/commit/0123456789abcdef");
  });
});
