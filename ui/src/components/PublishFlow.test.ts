import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { PublishPlan } from "../bindings/PublishPlan";
import type { StepInfo } from "../bindings/StepInfo";
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

/** Part of the table `list_publish_steps` answers with (the shell's IPC test checks the rest). */
const STEPS: StepInfo[] = [
  { step: "read_repository", label: "Reading the repository", moves_branch: false },
  { step: "create_tree", label: "Uploading the files", moves_branch: false },
  { step: "create_commit", label: "Creating the commit", moves_branch: false },
  { step: "update_branch", label: "Moving the branch to the new commit", moves_branch: true },
];

const base = {
  planning: false,
  planError: null,
  publishing: false,
  events: [],
  steps: STEPS,
  outcome: null,
  publishError: null,
  onCancel: () => {},
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
        { kind: "minting_key" },
        { kind: "step", step: "read_repository" },
        { kind: "waiting", step: "read_branch", seconds: 2n, reason: "GitHub's rate limit" },
        { kind: "step", step: "create_commit" },
      ],
      onConfirm: () => {},
    } });
    const steps = screen.getByTestId("publish-steps").querySelectorAll("li");
    expect([...steps].map((s) => s.textContent)).toEqual([
      "Minting the marketplace's hooks key in Gram",
      "Reading the repository",
      "Creating the commit",
    ]);
    expect(steps[2]?.classList.contains("current")).toBe(true);
    expect(screen.getByText("GitHub asked to wait 2 s (GitHub's rate limit).")).toBeTruthy();
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

  it("offers to cancel until the branch starts moving, then says it can no longer be cancelled", async () => {
    const onCancel = vi.fn();
    const props = { ...base, preview: { plan: plan(), new_key: false }, publishing: true, onConfirm: () => {}, onCancel };
    const { rerender } = render(PublishFlow, { props: { ...props, events: [{ kind: "step", step: "create_tree" }] } });
    await fireEvent.click(screen.getByTestId("cancel-publish"));
    expect(onCancel).toHaveBeenCalledOnce();
    await rerender({ ...props, cancelling: true, events: [{ kind: "step", step: "create_tree" }] });
    expect((screen.getByTestId("cancel-publish") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("cancel-publish").textContent).toContain("Cancelling");
    await rerender({
      ...props,
      events: [
        { kind: "step", step: "create_commit" },
        { kind: "step", step: "update_branch" },
      ],
    });
    expect(screen.queryByTestId("cancel-publish")).toBeNull();
    expect(screen.getByTestId("publish-no-cancel").textContent).toContain("can no longer be cancelled");
  });

  it("takes labels and the point of no return from the step table, not from its own copy", async () => {
    const props = { ...base, preview: { plan: plan(), new_key: false }, publishing: true, onConfirm: () => {} };
    const table: StepInfo[] = [{ step: "create_tree", label: "Sending the tree", moves_branch: true }];
    render(PublishFlow, { props: { ...props, steps: table, events: [{ kind: "step", step: "create_tree" }] } });
    expect(screen.getByTestId("publish-steps").textContent).toContain("Sending the tree");
    expect(screen.queryByTestId("cancel-publish")).toBeNull();
  });

  it("without the table, shows a step's name and does not offer to cancel", () => {
    const props = { ...base, preview: { plan: plan(), new_key: false }, publishing: true, onConfirm: () => {} };
    render(PublishFlow, { props: { ...props, steps: [], events: [{ kind: "step", step: "read_tree" }] } });
    expect(screen.getByTestId("publish-steps").textContent).toContain("read_tree");
    expect(screen.queryByTestId("cancel-publish")).toBeNull();
  });

  it("shows a cancelled publish as what it is, not as a failure", () => {
    const message = "Publishing to acme/agent-plugins was cancelled before its branch moved: nothing was published.";
    render(PublishFlow, { props: {
      ...base,
      preview: { plan: plan(), new_key: false },
      events: [{ kind: "step", step: "read_repository" }],
      publishError: { code: "cancelled", message, problems: [] },
      onConfirm: () => {},
    } });
    expect(screen.getByTestId("publish-cancelled").textContent).toBe(message);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByTestId("cancel-publish")).toBeNull();
  });
});
