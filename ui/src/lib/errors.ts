// What the UI does with an AppError: the sentence to show, and the one action that fixes it.
import type { AppError } from "../bindings/AppError";
import type { ScreenId } from "./nav";

export interface Remedy {
  /** The button's label. */
  label: string;
  /** The screen that fixes it. */
  screen: ScreenId;
}

/** The action an error's code calls for, if there is one the app can take the admin to. */
export function remedyFor(err: AppError): Remedy | null {
  switch (err.code) {
    case "not_signed_in":
      return { label: "Sign in to Gram", screen: "connections" };
    case "github_not_signed_in":
      return { label: "Connect GitHub", screen: "connections" };
    case "invalid_input":
    case "io":
    case "internal":
    case "forbidden":
    case "not_found":
    case "rate_limited":
    case "conflict":
    case "network":
    case "keychain":
    case "remote":
    case "cancelled":
      return null;
  }
}

/** Commands reject with an AppError; anything else (a bug, a lost IPC) is wrapped as internal. */
export function asAppError(err: unknown): AppError {
  if (err && typeof err === "object" && "code" in err && "message" in err) {
    const e = err as Partial<AppError>;
    return { code: e.code as AppError["code"], message: String(e.message), problems: e.problems ?? [] };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "internal", message, problems: [] };
}
