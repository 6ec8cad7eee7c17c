// The only module that talks to Tauri. Everything else calls these typed functions, so the
// UI's tests can replace this one module (vi.mock("./tauri")) and the rest runs unchanged.
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiKey } from "./bindings/ApiKey";
import type { AppError } from "./bindings/AppError";
import type { Channel } from "./bindings/Channel";
import type { CheckHookResult } from "./bindings/CheckHookResult";
import type { Content } from "./bindings/Content";
import type { CheckVerdict } from "./bindings/CheckVerdict";
import type { DeviceCode } from "./bindings/DeviceCode";
import type { ExportedZip } from "./bindings/ExportedZip";
import type { ExportStep } from "./bindings/ExportStep";
import type { FeaturePlugin } from "./bindings/FeaturePlugin";
import type { GithubStatus } from "./bindings/GithubStatus";
import type { GramAccount } from "./bindings/GramAccount";
import type { GramStatus } from "./bindings/GramStatus";
import type { NetworkSettings } from "./bindings/NetworkSettings";
import type { MarketplaceStatus } from "./bindings/MarketplaceStatus";
import type { OrgConfig } from "./bindings/OrgConfig";
import type { Platform } from "./bindings/Platform";
import type { PlatformInfo } from "./bindings/PlatformInfo";
import type { PreviewFile } from "./bindings/PreviewFile";
import type { PublishEvent } from "./bindings/PublishEvent";
import type { PublishOutcome } from "./bindings/PublishOutcome";
import type { PublishPreview } from "./bindings/PublishPreview";
import type { Retired } from "./bindings/Retired";
import type { Rollout } from "./bindings/Rollout";
import type { StepInfo } from "./bindings/StepInfo";
import { asAppError } from "./lib/errors";

export type {
  ApiKey,
  AppError,
  CheckHookResult,
  CheckVerdict,
  DeviceCode,
  GithubStatus,
  PublishEvent,
  PublishOutcome,
  PublishPreview,
  ExportedZip,
  ExportStep,
  FeaturePlugin,
  GramAccount,
  GramStatus,
  NetworkSettings,
  OrgConfig,
  Platform,
  PlatformInfo,
  PreviewFile,
  StepInfo,
};

/** Which sign-in a command found gone: Gram's session (refused or missing) or GitHub's token. */
export type SessionLost = "gram" | "github";

let sessionLost: (which: SessionLost) => void = () => {};

/**
 * Where a lost session is handled, once for every command: the app shows it signed out
 * everywhere (registered by main.ts; the screens only show the error they got).
 */
export function onSessionLost(handler: (which: SessionLost) => void): void {
  sessionLost = handler;
}

/**
 * Every command goes through here: it rejects with an AppError, and a command that found the
 * Gram session or the GitHub token gone reports that to the one handler. `signingIn`: the
 * command is itself a sign-in, whose refusal says nothing about the saved session.
 */
async function call<T>(command: string, args?: InvokeArgs, opts: { signingIn?: boolean } = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    const error = asAppError(err);
    if (!opts.signingIn) {
      if (error.code === "not_signed_in") sessionLost("gram");
      if (error.code === "github_not_signed_in") sessionLost("github");
    }
    throw error;
  }
}

/** The agents the core renders for (its platform table), in the order to offer them. */
export function listPlatforms(): Promise<PlatformInfo[]> {
  return call<PlatformInfo[]>("list_platforms");
}

/** Every file of the plugin, hooks/hooks.json first; the key masked unless `reveal`. */
export function previewPlugin(
  config: OrgConfig,
  platform: Platform,
  reveal = false,
): Promise<PreviewFile[]> {
  return call<PreviewFile[]>("preview_plugin", { config, platform, reveal });
}

/**
 * Opens the native save dialog, then (signed in to Gram) mints a hooks key and writes the ZIP
 * with it; signed out, the ZIP carries the placeholder key. null when the admin cancels.
 */
export function exportPluginZip(config: OrgConfig, platform: Platform): Promise<ExportedZip | null> {
  return call<ExportedZip | null>("export_plugin_zip", { config, platform });
}

/** Each step of an export as it starts (choose a file, mint the key, write the ZIP). */
export function onExportStep(handler: (step: ExportStep) => void): Promise<UnlistenFn> {
  return listen<ExportStep>("export-step", (event) => handler(event.payload));
}

/** Whether a Gram session is saved, and whose (checked with Gram). */
export function gramStatus(): Promise<GramStatus> {
  return call<GramStatus>("gram_status");
}

/** Checks a pasted dashboard session with Gram and keeps it in the OS keychain. */
export function gramSignIn(server: string, session: string): Promise<GramAccount> {
  return call<GramAccount>("gram_sign_in", { server, session }, { signingIn: true });
}

/** Opens Gram's sign-in page in an app window and keeps the session it ends with. */
export function gramSignInWindow(server: string): Promise<GramAccount> {
  return call<GramAccount>("gram_sign_in_window", { server }, { signingIn: true });
}

/** Forgets the saved session. */
export function gramSignOut(): Promise<void> {
  return call<void>("gram_sign_out");
}

/** The project hook events go to (saved for next time). */
export function gramChooseProject(slug: string): Promise<GramAccount> {
  return call<GramAccount>("gram_choose_project", { slug });
}

/** The privacy level last chosen for a project's plugins ("full" when never). */
export function contentLevel(project: string): Promise<Content> {
  return call<Content>("content_level", { project });
}

/** Remembers the privacy level chosen for a project's plugins. */
export function setContentLevel(project: string, content: Content): Promise<void> {
  return call<void>("set_content_level", { project, content });
}

/** The hooks keys gram-admin minted in the organization, newest first. */
export function listAppKeys(): Promise<ApiKey[]> {
  return call<ApiKey[]>("list_app_keys");
}

/** Revokes one key gram-admin minted; it stops working at once. */
export function revokeAppKey(id: string): Promise<ApiKey> {
  return call<ApiKey>("revoke_app_key", { id });
}

/** Revokes the keys a rotation replaced that are due; the ones still waiting, with when. */
export function retireKeys(): Promise<Retired> {
  return call<Retired>("retire_keys");
}

/** The chosen project's feature plugins, as Gram lists them. */
export function orgPlugins(): Promise<FeaturePlugin[]> {
  return call<FeaturePlugin[]>("org_plugins");
}

/** Every file of the marketplace repository (the org's plugins from Gram), the key masked. */
export function previewMarketplace(config: OrgConfig, repository: string | null): Promise<PreviewFile[]> {
  return call<PreviewFile[]>("preview_marketplace", { config, repository });
}

/** Every rollout channel's file (managed settings, macOS profile, .reg, Codex config, …). */
export function rolloutFiles(config: OrgConfig, repository: string): Promise<Rollout[]> {
  return call<Rollout[]>("rollout_files", { config, repository });
}

/** Asks where to save one channel's file (native dialog) and writes it; null when cancelled. */
export function saveRollout(config: OrgConfig, repository: string, channel: Channel): Promise<string | null> {
  return call<string | null>("save_rollout", { config, repository, channel });
}

/** Who the saved GitHub token (or GITHUB_TOKEN) belongs to. */
export function githubStatus(): Promise<GithubStatus> {
  return call<GithubStatus>("github_status");
}

/** Checks a pasted GitHub token and keeps it in the OS keychain. */
export function githubSignInToken(token: string): Promise<GithubStatus> {
  return call<GithubStatus>("github_sign_in_token", { token }, { signingIn: true });
}

/** Starts GitHub's device flow: the code to type and where. */
export function githubDeviceStart(): Promise<DeviceCode> {
  return call<DeviceCode>("github_device_start", {}, { signingIn: true });
}

/** Opens the device flow's verification page in the system browser. */
export function githubOpenVerification(): Promise<void> {
  return call<void>("github_open_verification", {}, { signingIn: true });
}

/** Waits for the code to be entered on GitHub, then keeps the token. */
export function githubDeviceFinish(): Promise<GithubStatus> {
  return call<GithubStatus>("github_device_finish", {}, { signingIn: true });
}

export function githubDeviceCancel(): Promise<void> {
  return call<void>("github_device_cancel", {}, { signingIn: true });
}

export function githubSignOut(): Promise<void> {
  return call<void>("github_sign_out");
}

/** Opens a page of the configured GitHub (the published commit) in the system browser. */
export function githubOpenPage(url: string): Promise<void> {
  return call<void>("github_open_page", { url });
}

/** The repository at a glance: not published yet, N changes, or up to date (reads only). */
export function marketplaceStatus(config: OrgConfig, repository: string): Promise<MarketplaceStatus> {
  return call<MarketplaceStatus>("marketplace_status", { config, repository });
}

/** What publishing would change (nothing is written). */
export function planPublish(config: OrgConfig, repository: string): Promise<PublishPreview> {
  return call<PublishPreview>("plan_publish", { config, repository });
}

/** Publishes the marketplace as one commit; steps arrive through onPublishEvent. */
export function publishMarketplace(config: OrgConfig, repository: string): Promise<PublishOutcome> {
  return call<PublishOutcome>("publish_marketplace", { config, repository });
}

/**
 * Stops the running publish while that is safe (before the branch moves); it then rejects with
 * the code `cancelled`. Resolves `false` when there was nothing to stop.
 */
export function cancelPublish(): Promise<boolean> {
  return call<boolean>("cancel_publish");
}

/** Each publish step's label, and whether it moves the branch (the core's step table). */
export function listPublishSteps(): Promise<StepInfo[]> {
  return call<StepInfo[]>("list_publish_steps");
}

export function onPublishEvent(handler: (event: PublishEvent) => void): Promise<UnlistenFn> {
  return listen<PublishEvent>("publish-event", (event) => handler(event.payload));
}

/**
 * Sends one labelled test event to Gram through the plugin's own curl config, as a teammate's
 * hook would. `key`: a hooks key the admin pasted, used for this one request and never kept;
 * without it the placeholder is sent, which Gram refuses (401). Resolves with the outcome
 * whatever Gram answered; rejects only on bad input.
 */
export function checkHook(config: OrgConfig, platform: Platform, key: string | null): Promise<CheckHookResult> {
  return call<CheckHookResult>("check_hook", { config, platform, key });
}

/** What the app trusts besides the system's certificate store (the company's CA file). */
export function networkSettings(): Promise<NetworkSettings> {
  return call<NetworkSettings>("network_settings");
}

/** Trusts the company's CA file (PEM) from now on and saves it; `null` forgets it. */
export function setCaFile(path: string | null): Promise<NetworkSettings> {
  return call<NetworkSettings>("set_ca_file", { path });
}
