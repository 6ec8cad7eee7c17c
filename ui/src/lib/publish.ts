// The publisher's steps as the progress list shows them. The words and which steps move the
// branch come from the core's step table (the `list_publish_steps` command): nothing is retyped.
import type { PublishEvent } from "../bindings/PublishEvent";
import type { Step } from "../bindings/Step";
import type { StepInfo } from "../bindings/StepInfo";

/** The step's label; its name if the table did not load. */
export function stepText(step: Step, steps: StepInfo[]): string {
  return steps.find((s) => s.step === step)?.label ?? step;
}

/**
 * Whether the step moves the branch (the core's `Step::moves_branch`): once one has started, the
 * publish can no longer be cancelled, because only a read of the branch tells whether it landed.
 * A step the table does not know counts as moving it: cancelling is then not offered.
 */
export function movesBranch(step: Step, steps: StepInfo[]): boolean {
  return steps.find((s) => s.step === step)?.moves_branch ?? true;
}

/** The progress list's lines: what was started, in order (waits and retries are shown apart). */
export function progressLines(events: PublishEvent[], steps: StepInfo[]): string[] {
  return events.flatMap((e) => {
    if (e.kind === "minting_key") return ["Minting the marketplace's hooks key in Gram"];
    if (e.kind === "step") return [stepText(e.step, steps)];
    return [];
  });
}
