// The only module that talks to Tauri. Everything else calls these typed functions, so the
// UI's tests can replace this one module (vi.mock("./tauri")) and the rest runs unchanged.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiKey } from "./bindings/ApiKey";
import type { AppError } from "./bindings/AppError";
import type { ExportedZip } from "./bindings/ExportedZip";
import type { ExportStep } from "./bindings/ExportStep";
import type { FeaturePlugin } from "./bindings/FeaturePlugin";
import type { GramAccount } from "./bindings/GramAccount";
import type { GramStatus } from "./bindings/GramStatus";
import type { OrgConfig } from "./bindings/OrgConfig";
import type { Platform } from "./bindings/Platform";
import type { PlatformInfo } from "./bindings/PlatformInfo";
import type { PreviewFile } from "./bindings/PreviewFile";

export type {
  ApiKey,
  AppError,
  ExportedZip,
  ExportStep,
  FeaturePlugin,
  GramAccount,
  GramStatus,
  OrgConfig,
  Platform,
  PlatformInfo,
  PreviewFile,
};

/** The agents the core renders for (its platform table), in the order to offer them. */
export function listPlatforms(): Promise<PlatformInfo[]> {
  return invoke<PlatformInfo[]>("list_platforms");
}

/** Every file of the plugin, hooks/hooks.json first; the key masked unless `reveal`. */
export function previewPlugin(
  config: OrgConfig,
  platform: Platform,
  reveal = false,
): Promise<PreviewFile[]> {
  return invoke<PreviewFile[]>("preview_plugin", { config, platform, reveal });
}

/**
 * Opens the native save dialog, then (signed in to Gram) mints a hooks key and writes the ZIP
 * with it; signed out, the ZIP carries the placeholder key. null when the admin cancels.
 */
export function exportPluginZip(config: OrgConfig, platform: Platform): Promise<ExportedZip | null> {
  return invoke<ExportedZip | null>("export_plugin_zip", { config, platform });
}

/** Each step of an export as it starts (choose a file, mint the key, write the ZIP). */
export function onExportStep(handler: (step: ExportStep) => void): Promise<UnlistenFn> {
  return listen<ExportStep>("export-step", (event) => handler(event.payload));
}

/** Whether a Gram session is saved, and whose (checked with Gram). */
export function gramStatus(): Promise<GramStatus> {
  return invoke<GramStatus>("gram_status");
}

/** Checks a pasted dashboard session with Gram and keeps it in the OS keychain. */
export function gramSignIn(server: string, session: string): Promise<GramAccount> {
  return invoke<GramAccount>("gram_sign_in", { server, session });
}

/** Opens Gram's sign-in page in an app window and keeps the session it ends with. */
export function gramSignInWindow(server: string): Promise<GramAccount> {
  return invoke<GramAccount>("gram_sign_in_window", { server });
}

/** Forgets the saved session. */
export function gramSignOut(): Promise<void> {
  return invoke<void>("gram_sign_out");
}

/** The project hook events go to (saved for next time). */
export function gramChooseProject(slug: string): Promise<GramAccount> {
  return invoke<GramAccount>("gram_choose_project", { slug });
}

/** The hooks keys gram-admin minted in the organization, newest first. */
export function listAppKeys(): Promise<ApiKey[]> {
  return invoke<ApiKey[]>("list_app_keys");
}

/** Revokes one key gram-admin minted; it stops working at once. */
export function revokeAppKey(id: string): Promise<ApiKey> {
  return invoke<ApiKey>("revoke_app_key", { id });
}

/** The chosen project's feature plugins, as Gram lists them. */
export function orgPlugins(): Promise<FeaturePlugin[]> {
  return invoke<FeaturePlugin[]>("org_plugins");
}

/** Every file of the marketplace repository (the org's plugins from Gram), the key masked. */
export function previewMarketplace(config: OrgConfig, repository: string | null): Promise<PreviewFile[]> {
  return invoke<PreviewFile[]>("preview_marketplace", { config, repository });
}

/** The managed-settings JSON that makes the observability plugin required for the team. */
export function managedSettings(config: OrgConfig, repository: string | null): Promise<string> {
  return invoke<string>("managed_settings", { config, repository });
}
