"""Driving Debian's Chromium with Playwright (never a downloaded browser), and the checks
every screen gets: axe-core (from web/node_modules, injected from disk, never a CDN) with
no WCAG 2.1 A/AA violation, every control reachable by keyboard, a usable layout at 200%
zoom, and a screenshot."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright

WEB = Path(__file__).resolve().parents[1]
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("LFR_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium tries Google's hosts at every start.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
#: 200% zoom of a 1280×800 desktop: the page lays out in 640×400 CSS pixels.
ZOOMED = {"width": 640, "height": 400}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str | None:
    """Debian's Chromium, if installed (``.ci/run`` installs it with apt-get)."""
    found = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    return found


def launch(playwright: Playwright) -> Browser:
    """Headless Debian Chromium."""
    path = chromium_path()
    assert path, "Debian's chromium is not installed (apt-get install chromium)"
    return playwright.chromium.launch(executable_path=path, args=FLAGS, headless=True)


def new_context(browser: Browser, viewport: dict[str, int], **extra: Any) -> BrowserContext:
    """A fresh profile (its own storage) with the page's CSP bypassed only so that the tests
    can inject axe-core from disk; the app itself never loads a script from elsewhere."""
    return browser.new_context(viewport=viewport, bypass_csp=True, locale="en-GB",
                               timezone_id="Europe/London", **extra)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """WCAG 2.1 A and AA violations axe-core finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary).slice(0, 5)}));
    }""", WCAG)
    return list(result)


def assert_accessible(page: Page, screen: str) -> None:
    """No WCAG 2.1 A/AA violation on ``screen``."""
    violations = axe_violations(page)
    assert violations == [], f"{screen}: axe-core found {json.dumps(violations, indent=1)}"


def assert_keyboard_reachable(page: Page, screen: str) -> None:
    """Tab from the top reaches every visible, enabled control of the page."""
    total = page.evaluate("""() => {
        const sel = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
        const all = [...document.querySelectorAll(sel)].filter(e => {
            const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
            return (r.width > 0 || r.height > 0) && s.visibility !== 'hidden' && !e.closest('[inert]');
        });
        all.forEach((e, i) => e.setAttribute('data-kb', String(i)));
        document.activeElement?.blur?.();
        window.scrollTo(0, 0);
        return all.length;
    }""")
    seen: set[str] = set()
    radio_groups: set[str] = set()
    # Date and time inputs take a Tab stop per part (day, month, year, …): allow for them.
    for _ in range(total * 6 + 20):
        if len(seen) >= total:
            break
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement;
            return e ? [e.getAttribute('data-kb'), e.type === 'radio' ? e.name : null] : [null, null]; }""")
        if info[0] is not None:
            seen.add(info[0])
        if info[1]:
            radio_groups.add(info[1])
    missing = page.evaluate("""([seen, groups]) => [...document.querySelectorAll('[data-kb]')]
        .filter(e => !seen.includes(e.getAttribute('data-kb')))
        .filter(e => !(e.type === 'radio' && groups.includes(e.name)))  // one stop per radio group
        .map(e => e.outerHTML.slice(0, 120))""", [sorted(seen), sorted(radio_groups)])
    page.evaluate("() => document.querySelectorAll('[data-kb]').forEach(e => e.removeAttribute('data-kb'))")
    assert missing == [], f"{screen}: not reachable with Tab: {missing}"


def assert_reflows(page: Page, screen: str) -> None:
    """At the page's current (zoomed) width nothing needs horizontal scrolling, except
    inside a scrollable table region."""
    overflow = page.evaluate("""() => {
        const doc = document.documentElement;
        const wide = [...document.querySelectorAll('body *')].filter(e => {
            if (e.closest('.table-wrap, pre, canvas, iframe')) return false;
            const r = e.getBoundingClientRect();
            return r.right > doc.clientWidth + 2 && r.width > 0;
        }).map(e => e.tagName + '.' + e.className).slice(0, 5);
        return {scroll: doc.scrollWidth - doc.clientWidth, wide};
    }""")
    assert overflow["scroll"] <= 2 and overflow["wide"] == [], f"{screen} at 200%: {overflow}"


class Screens:
    """Screenshots of every screen, into ``folder`` (docs/app when LFR_WEB_SCREENSHOTS names
    it; a temporary folder otherwise), and the list of what was taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[str] = []

    def shot(self, page: Page, name: str, *, full_page: bool = True,
             selector: str | None = None) -> Path:
        path = self.folder / f"{name}.png"
        page.wait_for_timeout(150)  # let the last frame paint
        if selector:
            page.locator(selector).first.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(name)
        return path


def check_screen(page: Page, screens: Screens, name: str, *, zoom: bool = True) -> None:
    """axe-core, keyboard reachability, a screenshot; and the same screen at 200% zoom."""
    screens.shot(page, name)
    assert_accessible(page, name)
    assert_keyboard_reachable(page, name)
    if zoom:
        size = page.viewport_size
        assert size is not None
        page.set_viewport_size(ZOOMED)
        page.wait_for_timeout(100)
        assert_reflows(page, name)
        assert_accessible(page, f"{name} at 200%")
        page.set_viewport_size(size)


def storage_report(page: Page) -> dict[str, Any]:
    """Everything the app keeps in the browser: localStorage, sessionStorage, every IndexedDB
    database with its records, and every Cache Storage entry with its URL and type."""
    return dict(page.evaluate("""async () => {
        const out = {local: {...localStorage}, session: {...sessionStorage}, idb: {}, caches: {}};
        for (const info of (await indexedDB.databases())) {
            const db = await new Promise((ok, bad) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => bad(r.error); });
            out.idb[info.name] = {};
            for (const store of db.objectStoreNames) {
                out.idb[info.name][store] = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); });
            }
            db.close();
        }
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            out.caches[name] = [];
            for (const req of await cache.keys()) {
                const res = await cache.match(req);
                out.caches[name].push({url: req.url, type: res.headers.get('content-type'), control: res.headers.get('cache-control')});
            }
        }
        return out;
    }"""))
