import "./style.css";
import { asAppError, exportPluginZip, listPlatforms, previewPlugin } from "./tauri";
import type { AppError, Field, OrgConfig, Platform, PlatformInfo, PreviewFile } from "./tauri";

function element<T extends HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`index.html has no ${selector}`);
  return found;
}

const form = element<HTMLFormElement>("#org-form");
const previewButton = element<HTMLButtonElement>("#preview");
const exportButton = element<HTMLButtonElement>("#export");
const banner = element<HTMLDivElement>("#banner");
const empty = element<HTMLDivElement>("#empty");
const result = element<HTMLDivElement>("#result");
const summary = element<HTMLDivElement>("#summary");
const fileList = element<HTMLUListElement>("#file-list");
const fileTitle = element<HTMLDivElement>("#file-title");
const fileText = element<HTMLPreElement>("#file-text");

const platformSelect = element<HTMLSelectElement>("select[name=platform]");
let platforms: PlatformInfo[] = [];

/** Offers the core's agents; the first is selected. */
async function loadPlatforms() {
  platforms = await listPlatforms();
  platformSelect.replaceChildren(
    ...platforms.map((info, i) => {
      const option = document.createElement("option");
      option.value = info.platform;
      option.textContent = info.display_name;
      option.selected = i === 0;
      return option;
    }),
  );
}

function displayName(platform: Platform): string {
  return platforms.find((p) => p.platform === platform)?.display_name ?? platform;
}

/** The form slot (`data-for`) of a problem's field; null for fields this form has no input for. */
function slotFor(field: Field): string | null {
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

let files: PreviewFile[] = [];

function readForm(): { config: OrgConfig; platform: Platform } {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const email = text("org_email");
  return {
    config: {
      org_name: text("org_name"),
      project_slug: text("project_slug"),
      server_url: text("server_url"),
      ...(email ? { org_email: email } : {}),
    },
    platform: (text("platform") || platforms[0]?.platform || "claude") as Platform,
  };
}

function showBanner(kind: "error" | "ok" | null, message = "") {
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
  banner.textContent = message;
}

function clearProblems() {
  for (const slot of form.querySelectorAll<HTMLElement>(".problem")) slot.textContent = "";
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
}

/** Field problems go next to their field; the rest (and every other error) to the banner. */
function showError(err: AppError) {
  clearProblems();
  const unplaced: string[] = [];
  for (const problem of err.problems) {
    const name = slotFor(problem.field);
    const slot = name ? form.querySelector<HTMLElement>(`.problem[data-for="${name}"]`) : null;
    if (slot) {
      slot.textContent = problem.message;
      slot.closest("label")?.querySelector("input")?.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(problem.message);
    }
  }
  if (err.code === "invalid_input") {
    showBanner(unplaced.length ? "error" : null, unplaced.join(" "));
  } else {
    showBanner("error", err.message);
  }
}

function octal(mode: PreviewFile["mode"]): string {
  return mode === "executable" ? "0755" : "0644";
}

function bytes(size: number): string {
  return size < 1024 ? `${size} B` : `${(size / 1024).toFixed(1)} KB`;
}

function select(index: number) {
  const file = files[index];
  if (!file) return;
  for (const [i, item] of Array.from(fileList.children).entries()) {
    item.classList.toggle("selected", i === index);
    item.querySelector("button")?.setAttribute("aria-pressed", String(i === index));
  }
  fileTitle.textContent = `${file.path} · ${octal(file.mode)} · ${bytes(file.size)}`;
  fileText.textContent = file.text ?? "(binary file: not shown)";
  fileText.scrollTo(0, 0);
}

function showFiles(list: PreviewFile[], platform: Platform) {
  files = list;
  const total = list.reduce((sum, file) => sum + file.size, 0);
  summary.textContent = `${displayName(platform)} · ${list.length} files · ${bytes(total)}`;
  fileList.replaceChildren(
    ...list.map((file, i) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const path = document.createElement("span");
      path.className = "path";
      path.textContent = file.path;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${octal(file.mode)} · ${bytes(file.size)}`;
      button.append(path, meta);
      button.addEventListener("click", () => select(i));
      item.append(button);
      return item;
    }),
  );
  empty.hidden = true;
  result.hidden = false;
  result.classList.remove("stale");
  select(0);
}

async function runPreview() {
  const { config, platform } = readForm();
  previewButton.disabled = true;
  try {
    showFiles(await previewPlugin(config, platform), platform);
    clearProblems();
    showBanner(null);
    exportButton.disabled = false;
  } catch (err) {
    exportButton.disabled = true;
    result.classList.add("stale");
    showError(asAppError(err));
  } finally {
    previewButton.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void runPreview();
});

// Once there is a preview, keep it in step with the form.
form.addEventListener("change", () => {
  if (files.length) void runPreview();
});

exportButton.addEventListener("click", async () => {
  const { config, platform } = readForm();
  exportButton.disabled = true;
  try {
    const path = await exportPluginZip(config, platform);
    // null: the admin cancelled the dialog, which is not an error.
    if (path) showBanner("ok", `Saved ${path} (readable only by you).`);
  } catch (err) {
    showError(asAppError(err));
  } finally {
    exportButton.disabled = false;
  }
});

loadPlatforms().catch((err) => showError(asAppError(err)));
