import { render } from "preact";
import { Session } from "./api/client";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (root) render(<App session={new Session()} />, root);

if ("serviceWorker" in navigator) {
  // Scope /app/: it never sees (so never caches) the API's answers.
  void navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
