/// <reference lib="webworker" />
// The service worker: the app shell (the page, its bundle, styles, manifest, icons) is
// precached so the app starts offline. NOTHING ELSE is ever cached: not alerts, not
// probe crops or watchlist images, not templates, not any API answer. Requests outside
// the shell go to the network untouched, and even a shell response marked no-store is
// never put in the cache (web/e2e in the browser inspect the caches).
const sw = self as unknown as ServiceWorkerGlobalScope;

interface Shell { version: string; files: string[] }
// Replaced at build time (vite.config.ts) by the exact list of shell files.
const SHELL = "__LFR_SHELL__" as unknown as Shell;
const CACHE = `lfr-shell-${SHELL.version}`;
const scope = new URL(sw.registration.scope);
const shellUrls = new Set(SHELL.files.map((f) => new URL(f, scope).href));

function cacheable(response: Response): boolean {
  const control = (response.headers.get("Cache-Control") ?? "").toLowerCase();
  return response.ok && response.type === "basic" && !/\bno-store\b|\bprivate\b/.test(control);
}

sw.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const url of shellUrls) {
      const response = await fetch(url, { cache: "no-cache", credentials: "omit" });
      if (cacheable(response)) await cache.put(url, response);
    }
    await sw.skipWaiting();
  })());
});

sw.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await sw.clients.claim();
  })());
});

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const isShell = shellUrls.has(url.href) || (request.mode === "navigate" && url.href.startsWith(scope.href));
  if (!isShell) return; // the network, untouched: never cached
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = request.mode === "navigate" ? new URL("./", scope).href : url.href;
    try {
      // Network first, so a new release shows at once; the cache when offline.
      const response = await fetch(request.mode === "navigate" ? key : request);
      if (cacheable(response)) await cache.put(key, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(key);
      if (cached) return cached;
      throw error;
    }
  })());
});
