import { defineConfig } from "vite";

// Tauri loads the built files from ui/dist; no dev server is needed to run the app.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", sourcemap: false },
});
