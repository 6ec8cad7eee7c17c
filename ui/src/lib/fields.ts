// Where a problem is shown: next to its input on a form, or in the form's summary.
import type { Field } from "../bindings/Field";
import type { Problem } from "../bindings/Problem";

/** The org form's inputs that problems can be placed next to. */
export type OrgFormSlot = "org" | "project" | "server" | "email";

export function orgFormSlot(field: Field): OrgFormSlot | null {
  switch (field) {
    case "org":
    case "project":
    case "server":
    case "email":
      return field;
    case "marketplace":
    case "key":
    case "platform":
    case "repository":
    case "branch":
    case "token":
    case "path":
      return null;
    default:
      // A feature plugin's field (`plugins[0].slug`): not on this form.
      return null;
  }
}

export interface PlacedProblems {
  bySlot: Partial<Record<OrgFormSlot, string>>;
  elsewhere: string[];
}

/** Splits problems into those next to a form input and the rest (shown above the form). */
export function placeProblems(problems: readonly Problem[]): PlacedProblems {
  const placed: PlacedProblems = { bySlot: {}, elsewhere: [] };
  for (const problem of problems) {
    const slot = orgFormSlot(problem.field);
    if (slot && !placed.bySlot[slot]) placed.bySlot[slot] = problem.message;
    else placed.elsewhere.push(problem.message);
  }
  return placed;
}
