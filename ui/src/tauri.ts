// The only module that talks to Tauri. Everything else calls these typed functions.
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { Field } from "./bindings/Field";
import type { OrgConfig } from "./bindings/OrgConfig";
import type { Platform } from "./bindings/Platform";
import type { PlatformInfo } from "./bindings/PlatformInfo";
import type { PreviewFile } from "./bindings/PreviewFile";

export type { AppError, Field, OrgConfig, Platform, PlatformInfo, PreviewFile };

/** The agents the core renders for (its platform table), in the order to offer them. */
export function listPlatforms(): Promise<PlatformInfo[]> {
  return invoke<PlatformInfo[]>("list_platforms");
}

/** Every file of the plugin, hooks/hooks.json first, the key masked. */
export function previewPlugin(config: OrgConfig, platform: Platform): Promise<PreviewFile[]> {
  return invoke<PreviewFile[]>("preview_plugin", { config, platform });
}

/** Opens the native save dialog and writes the ZIP; null when the admin cancels. */
export function exportPluginZip(config: OrgConfig, platform: Platform): Promise<string | null> {
  return invoke<string | null>("export_plugin_zip", { config, platform });
}

/** Commands reject with an AppError; anything else is wrapped as internal. */
export function asAppError(err: unknown): AppError {
  if (err && typeof err === "object" && "code" in err && "message" in err) {
    return err as AppError;
  }
  return { code: "internal", message: String(err), problems: [] };
}
