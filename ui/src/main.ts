import { mount } from "svelte";
import App from "./App.svelte";
import { sessionLost } from "./lib/app.svelte";
import "./style.css";
import { onSessionLost } from "./tauri";

onSessionLost(sessionLost);

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app");
export default mount(App, { target });
