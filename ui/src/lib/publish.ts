// Words for the publisher's steps, as the progress list shows them.
import type { PublishEvent } from "../bindings/PublishEvent";
import type { Step } from "../bindings/Step";

const STEPS: Record<Step, string> = {
  connect: "Connecting to GitHub",
  read_repository: "Reading the repository",
  read_user: "Reading who the token belongs to",
  create_repository: "Creating the repository",
  read_branch: "Reading the branch",
  read_commit: "Reading the branch's last commit",
  read_tree: "Listing the published files",
  read_file: "Reading a published file",
  seed_repository: "Writing the first file into the empty repository",
  upload_blob: "Uploading a large file",
  create_tree: "Uploading the files",
  create_commit: "Creating the commit",
  update_branch: "Moving the branch to the new commit",
  create_branch: "Creating the branch",
};

export function stepText(step: Step): string {
  return STEPS[step] ?? step;
}

/**
 * Whether the step moves the branch (the core's `Step::moves_branch`): once one has started, the
 * publish can no longer be cancelled, because only a read of the branch tells whether it landed.
 */
export function movesBranch(step: Step): boolean {
  return step === "update_branch" || step === "create_branch";
}

/** The progress list's lines: what was started, in order (waits and retries are shown apart). */
export function progressLines(events: PublishEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.kind === "minting_key") return ["Minting the marketplace's hooks key in Gram"];
    if (e.kind === "step") return [stepText(e.step)];
    return [];
  });
}
