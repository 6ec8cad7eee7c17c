import "./style.css";
import { asAppError, exportPluginZip, previewPlugin } from "./tauri";
import type { AppError, OrgConfig, Platform, PreviewFile } from "./tauri";

const form = document.querySelector<HTMLFormElement>("#org-form")!;
const exportButton = document.querySelector<HTMLButtonElement>("#export")!;
const previewButton = document.querySelector<HTMLButtonElement>("#preview")!;
const banner = document.querySelector<HTMLDivElement>("#banner")!;
const fileList = document.querySelector<HTMLUListElement>("#file-list")!;
const fileTitle = document.querySelector<HTMLDivElement>("#file-title")!;
const fileText = document.querySelector<HTMLPreElement>("#file-text")!;

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
    platform: (data.get("platform") as Platform) ?? "claude",
  };
}

function showBanner(kind: "error" | "ok" | null, message = "") {
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
  banner.textContent = message;
}

function clearProblems() {
  for (const el of document.querySelectorAll<HTMLElement>(".problem")) el.textContent = "";
  for (const el of form.querySelectorAll("input")) el.removeAttribute("aria-invalid");
}

function showError(err: AppError) {
  clearProblems();
  const unplaced: string[] = [];
  for (const problem of err.problems) {
    const slot = document.querySelector<HTMLElement>(`.problem[data-for="${problem.field}"]`);
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
  return mode === "executable" ? "755" : "644";
}

function select(index: number) {
  const file = files[index];
  if (!file) return;
  for (const [i, li] of Array.from(fileList.children).entries()) li.classList.toggle("selected", i === index);
  fileTitle.textContent = `${file.path} · ${octal(file.mode)} · ${file.size} bytes`;
  fileText.textContent = file.text ?? "(binary file)";
}

function renderFiles(list: PreviewFile[]) {
  files = list;
  fileList.replaceChildren(
    ...list.map((file, i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const path = document.createElement("span");
      path.className = "path";
      path.textContent = file.path;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${octal(file.mode)} · ${file.size} B`;
      button.append(path, meta);
      button.addEventListener("click", () => select(i));
      li.append(button);
      return li;
    }),
  );
  select(0);
}

async function runPreview() {
  const { config, platform } = readForm();
  previewButton.disabled = true;
  try {
    renderFiles(await previewPlugin(config, platform));
    clearProblems();
    showBanner(null);
    exportButton.disabled = false;
  } catch (err) {
    exportButton.disabled = true;
    showError(asAppError(err));
  } finally {
    previewButton.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void runPreview();
});

form.addEventListener("change", () => {
  if (files.length) void runPreview();
});

exportButton.addEventListener("click", async () => {
  const { config, platform } = readForm();
  exportButton.disabled = true;
  try {
    const path = await exportPluginZip(config, platform);
    if (path) showBanner("ok", `Saved ${path} (readable only by you).`);
  } catch (err) {
    showError(asAppError(err));
  } finally {
    exportButton.disabled = false;
  }
});
