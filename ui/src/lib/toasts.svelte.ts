// Toasts: short messages at the corner; errors stay until dismissed, others fade after a while.
import type { Remedy } from "./errors";

export interface Toast {
  id: number;
  kind: "ok" | "error" | "info";
  title: string;
  detail?: string;
  remedy?: Remedy | null;
}

let next = 1;
export const toasts = $state<Toast[]>([]);

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

export function toast(t: Omit<Toast, "id">, ttlMs = t.kind === "error" ? 0 : 8000): number {
  const id = next++;
  toasts.push({ ...t, id });
  if (ttlMs > 0) setTimeout(() => dismiss(id), ttlMs);
  return id;
}
