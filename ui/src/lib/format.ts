// Small formatting helpers shared by the screens.
import type { FileMode } from "../bindings/FileMode";

const OCTAL: Record<string, string> = { regular: "0644", executable: "0755", private: "0600" };

/** A file's mode as a Unix admin reads it. */
export function octal(mode: FileMode): string {
  return OCTAL[mode] ?? mode;
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/** A timestamp from Gram (RFC 3339) as a short local date and time; the input when unparseable. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "never";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
