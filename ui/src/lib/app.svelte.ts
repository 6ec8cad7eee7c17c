// What every screen shares: the Gram sign-in, the agents, the organisation the plugin is for.
import type { AppError } from "../bindings/AppError";
import type { GithubStatus } from "../bindings/GithubStatus";
import type { GramAccount } from "../bindings/GramAccount";
import type { Content } from "../bindings/Content";
import type { OrgConfig } from "../bindings/OrgConfig";
import type { PlatformInfo } from "../bindings/PlatformInfo";
import type { StepInfo } from "../bindings/StepInfo";
import { asAppError } from "./errors";
import type { ScreenId } from "./nav";
import { githubStatus, gramStatus, listPlatforms, listPublishSteps, retireKeys, type SessionLost } from "../tauri";
import { toast } from "./toasts.svelte";

export type GramView =
  | { state: "loading" }
  | { state: "signed_out"; server: string | null }
  | { state: "signed_in"; account: GramAccount }
  | { state: "error"; error: AppError };

/** The org form for when nobody is signed in to Gram. */
export interface ManualOrg {
  org_name: string;
  project_slug: string;
  server_url: string;
  org_email: string;
}

export type GithubView = { state: "loading" } | GithubStatus | { state: "error"; error: AppError };

export const DEFAULT_SERVER = "https://app.getgram.ai";

export const app = $state({
  screen: "plugin" as ScreenId,
  gram: { state: "loading" } as GramView,
  github: { state: "loading" } as GithubView,
  platforms: [] as PlatformInfo[],
  platformsError: null as AppError | null,
  /** Each publish step's label and whether it moves the branch (the core's table). */
  publishSteps: [] as StepInfo[],
  manual: { org_name: "", project_slug: "", server_url: DEFAULT_SERVER, org_email: "" } as ManualOrg,
  /** `owner/repo` the marketplace is published to, as typed on the Marketplace screen. */
  repository: "",
  /** What the hooks send (the privacy level), remembered per project in the settings. */
  content: "full" as Content,
});

/**
 * The organisation the plugin is rendered for: the Gram account's (organization, server, chosen
 * project) when signed in, else what the admin typed. Null when signed in without a project.
 */
export function orgConfig(gram: GramView, manual: ManualOrg, content: Content = "full"): OrgConfig | null {
  const email = manual.org_email.trim();
  const extra = { ...(email ? { org_email: email } : {}), ...(content !== "full" ? { content } : {}) };
  if (gram.state === "signed_in") {
    const { account } = gram;
    if (!account.project) return null;
    return {
      org_name: account.organization,
      server_url: account.server,
      project_slug: account.project,
      ...extra,
    };
  }
  return {
    org_name: manual.org_name.trim(),
    project_slug: manual.project_slug.trim(),
    server_url: manual.server_url.trim(),
    ...extra,
  };
}

export async function refreshGram(): Promise<void> {
  app.gram = { state: "loading" };
  try {
    const status = await gramStatus();
    app.gram =
      status.state === "signed_in"
        ? { state: "signed_in", account: status.account }
        : { state: "signed_out", server: status.server };
    if (status.state === "signed_out" && status.server) app.manual.server_url = status.server;
  } catch (err) {
    const error = asAppError(err);
    app.gram = error.code === "not_signed_in" ? { state: "signed_out", server: null } : { state: "error", error };
  }
}

/**
 * At start, signed in: revokes the keys a rotation replaced that are due (the grace is over, or
 * nobody has used them for 24 h since the new key's first use), and says so.
 */
export async function retireDueKeys(): Promise<void> {
  if (app.gram.state !== "signed_in") return;
  try {
    const retired = await retireKeys();
    for (const key of retired.revoked) {
      toast({ kind: "ok", title: `Revoked the replaced key ${key.key_prefix}…`, detail: "Its grace period is over: the marketplace carries the new key." });
    }
  } catch {
    // The Keys screen retries and shows what went wrong.
  }
}

export async function loadPlatforms(): Promise<void> {
  try {
    app.platforms = await listPlatforms();
    app.platformsError = null;
  } catch (err) {
    app.platformsError = asAppError(err);
  }
}

/** A Gram call said the session is gone: show the signed-out state everywhere. */
export function signedOut(): void {
  if (app.gram.state === "signed_out") return;
  const server = app.gram.state === "signed_in" ? app.gram.account.server : null;
  app.gram = { state: "signed_out", server };
}

/**
 * The one place a lost session is handled (tauri.ts calls it for any command that found it
 * gone): every screen then shows the signed-out state and its "sign in" action.
 */
export function sessionLost(which: SessionLost): void {
  if (which === "gram") signedOut();
  else app.github = { state: "signed_out" };
}

/** The publish steps' labels; without them the progress list shows the steps' names. */
export async function loadPublishSteps(): Promise<void> {
  try {
    app.publishSteps = await listPublishSteps();
  } catch {
    app.publishSteps = [];
  }
}

export async function refreshGithub(): Promise<void> {
  app.github = { state: "loading" };
  try {
    app.github = await githubStatus();
  } catch (err) {
    const error = asAppError(err);
    app.github = error.code === "github_not_signed_in" ? { state: "signed_out" } : { state: "error", error };
  }
}
