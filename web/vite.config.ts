// Builds the app into the api package (lfr_api/webapp/dist), so the lfr-api wheel serves it
// at /app/ without Node. Besides the page and its bundle it emits: the service worker
// (sw.js, not hashed, with the exact list of shell files to precache), the web app
// manifest and the icons (drawn by pwa/icons.ts).
import { createHash } from "node:crypto";
import { defineConfig, type Plugin } from "vite";
import { iconPng, iconSvg } from "./pwa/icons.ts";

const OUT = "../api/lfr_api/webapp/dist";

const manifest = {
  name: "LFR — Live Facial Recognition",
  short_name: "LFR",
  description: "Alerts for officers to judge, the control room, deployment set-up, authorisation and compliance.",
  id: "/app/",
  start_url: "/app/",
  scope: "/app/",
  display: "standalone",
  orientation: "any",
  background_color: "#0b2545",
  theme_color: "#0b2545",
  icons: [
    { src: "icons/icon.svg", sizes: "any", type: "image/svg+xml" },
    { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
    { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
    { src: "icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
  ],
};

function pwa(): Plugin {
  return {
    name: "lfr-pwa",
    generateBundle(_options, bundle) {
      this.emitFile({ type: "asset", fileName: "manifest.webmanifest", source: JSON.stringify(manifest, null, 2) + "\n" });
      this.emitFile({ type: "asset", fileName: "icons/icon.svg", source: iconSvg() });
      this.emitFile({ type: "asset", fileName: "icons/icon-192.png", source: iconPng(192) });
      this.emitFile({ type: "asset", fileName: "icons/icon-512.png", source: iconPng(512) });
      this.emitFile({ type: "asset", fileName: "icons/maskable-512.png", source: iconPng(512, true) });
      const sw = bundle["sw.js"];
      if (!sw || sw.type !== "chunk") throw new Error("the service worker chunk sw.js is missing");
      const shell = ["./", "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png",
        ...Object.keys(bundle).filter((f) => f !== "sw.js" && !f.endsWith(".map") && f !== "index.html")].sort();
      const version = createHash("sha256").update(Object.keys(bundle).sort().join("\n")).digest("hex").slice(0, 12);
      if (!sw.code.includes("__LFR_SHELL__")) throw new Error("sw.js lost its __LFR_SHELL__ placeholder");
      sw.code = sw.code.replace(/(["'`])__LFR_SHELL__\1/, JSON.stringify({ version, files: shell }));
      if (sw.code.includes("__LFR_SHELL__")) throw new Error("sw.js: the shell list was not filled in");
    },
  };
}

export default defineConfig({
  base: "/app/",
  plugins: [pwa()],
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: {
      input: { index: "index.html", sw: "src/sw.ts" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  server: { proxy: { "^/(?!app/)": { target: "http://127.0.0.1:8000", ws: true } } },
});
