#!/usr/bin/env python3
"""The status page at `/` in a real browser (issue 23), against a running Petrel:

  scripts/check-page.py --url http://127.0.0.1:PORT --api-key-file FILE --artifacts DIR
                        [--expect NAME=VALUE]...

scripts/check-page.sh starts Petrel and calls this with the Python of its venv (Playwright).
Headless Chromium from Debian's package (/usr/bin/chromium; Playwright's own browser download
does not work offline) loads the page and every fact it shows is compared with the JSON
endpoints: `GET /` (Accept: application/json), `/readiness`, `/hits/current`, `/cities`.

1. Writes a few cities (PUT /cities/{name} with the API key) and a few hits (GET /hits); the JSON
   of `/` must report what --expect set (APP_ENV, POD_NAME, ...), and API clients (no Accept,
   `*/*`) still get JSON.
2. Desktop (1024x768): service, version, environment, pod, node, namespace, uptime, readiness and
   each check row, the hit count, each city row and the datalist, as the JSON says. The button
   raises #hits by exactly one and /hits/current agrees; the lookup shows a city's population as
   its JSON says and "No city named" for a missing one; every link on the page answers 200.
   Only this origin is contacted, no response fails but that lookup's 404, and there is no page
   error, no console error (a CSP violation is one) and no `securitypolicyviolation` event.
   Then a probe proves the CSP is enforced and would be noticed: an injected inline script is
   refused and reported.
3. Phone (390x844, mobile): the same facts, no horizontal scrolling.
4. JavaScript disabled: the same server-rendered facts.

Screenshots go to --artifacts (status-page-desktop.png, -phone.png, -nojs.png); their paths are
printed. Prints one line per check, then `check-page: N passed, N failed`; exits 1 when a check
failed, 2 when the run itself broke (a timeout, a browser that would not start).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
# Written before the page loads: non-ASCII and a space exercise escaping and the lookup's URL.
CITIES = {"Lisbon": 545_923, "Porto": 231_800, "Reykjavík": 139_875, "São Paulo": 11_451_245, "Zürich": 421_878}
HITS = 3
FOUND, MISSING = "São Paulo", "Atlantis"

# Everything the page shows that the JSON endpoints can confirm, read from the DOM in one go.
READ_FACTS = """() => {
  const byId = (id) => document.getElementById(id);
  const text = (id) => byId(id) ? byId(id).textContent.trim() : null;
  const cell = (row, tag) => { const e = row.querySelector(tag); return e ? e.textContent.trim() : null; };
  const hits = byId("hits");
  return {
    title: document.title,
    service: text("service"), version: text("version"), environment: text("environment"),
    pod: text("pod"), node: text("node"), namespace: text("namespace"),
    uptime: byId("uptime") ? byId("uptime").dataset.seconds : null,
    readiness: text("readiness-status"),
    readinessClass: byId("readiness-status") ? byId("readiness-status").className : null,
    checks: [...document.querySelectorAll("#checks tr[data-check]")].map((row) => ({
      name: row.dataset.check, className: row.className, label: cell(row, "th"), state: cell(row, "td")})),
    hits: hits ? {count: hits.dataset.count === undefined ? null : hits.dataset.count, text: text("hits")} : null,
    cities: [...document.querySelectorAll("#cities tr[data-city]")].map((row) => ({
      name: row.dataset.city, population: row.dataset.population, label: cell(row, "th"), shown: cell(row, "td")})),
    datalist: [...document.querySelectorAll("#city-names option")].map((option) => option.value),
  };
}"""

# In the pages that run JavaScript: every CSP violation the document reports, whatever the console says.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "(inline)"}`);
});
"""


class Report:
    """One line per check; the verdicts are counted at the end."""

    def __init__(self):
        self.passed, self.failed = 0, []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {name}{f': {detail}' if detail else ''}", flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL  {name}: {detail}", flush=True)
        return ok

    def equal(self, name: str, shown, expected) -> bool:
        return self.check(name, shown == expected,
                          f"{shown!r}" if shown == expected else f"page shows {shown!r}, JSON says {expected!r}")


class Api:
    """The JSON endpoints, read with the standard library (no browser involved)."""

    def __init__(self, base: str, api_key: str):
        self.base, self.api_key = base, api_key

    def call(self, method: str, path: str, body: dict | None = None, accept: str | None = "application/json",
             key: bool = False) -> tuple[int, dict, bytes]:
        headers = {} if accept is None else {"Accept": accept}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if key:
            headers["X-API-Key"] = self.api_key
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, path: str, method: str = "GET", body: dict | None = None, key: bool = False):
        status, _, payload = self.call(method, path, body, key=key)
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload)

    def city_path(self, name: str) -> str:
        return "/cities/" + urllib.parse.quote(name, safe="")

    def all_cities(self) -> list:
        cities, cursor = [], None
        while True:
            query = "?" + urllib.parse.urlencode({"cursor": cursor}) if cursor else ""
            page = self.json("/cities" + query)
            cities += page["cities"]
            cursor = page.get("next_cursor")
            if not cursor:
                return cities

    def hits(self) -> int:
        return int(self.json("/hits/current")["hits"])


def grouped(number: int) -> str:
    return f"{number:,}"


def seed(api: Api, report: Report, expect: dict) -> None:
    """Cities and hits through the JSON API; the JSON of / reports what the environment set."""
    for name, population in CITIES.items():
        api.json(api.city_path(name), "PUT", {"population": population}, key=True)
    for _ in range(HITS):
        api.json("/hits")
    listed = {city["name"]: city["population"] for city in api.all_cities()}
    report.check("cities written through the API", all(listed.get(n) == p for n, p in CITIES.items()),
                 f"GET /cities lists {len(listed)}: {listed}")
    info = api.json("/")
    for field, setting in (("environment", "APP_ENV"), ("pod", "POD_NAME"), ("node", "NODE_NAME"),
                           ("namespace", "POD_NAMESPACE")):
        if setting in expect:
            report.check(f"JSON / {field} is {setting}", info.get(field) == expect[setting],
                         f"{info.get(field)!r}, {setting}={expect[setting]!r}")
    for accept in (None, "*/*"):
        status, headers, payload = api.call("GET", "/", accept=accept)
        content_type = headers.get("Content-Type", "")
        try:
            same = json.loads(payload).get("name") == info["name"]
        except ValueError:
            same = False
        report.check(f"API client ({'no Accept' if accept is None else 'Accept: ' + accept}) still gets JSON",
                     status == 200 and content_type.startswith("application/json") and same,
                     f"{status} {content_type}")


def expected_facts(api: Api) -> dict:
    info = api.json("/")
    return {"info": info, "version": api.json("/version"), "readiness": api.json("/readiness"),
            "hits": api.hits(), "cities": api.all_cities()}


def check_facts(report: Report, where: str, facts: dict, before: dict, after: dict) -> None:
    """What the page shows against the JSON read just before and just after it loaded."""
    info = before["info"]
    report.equal(f"{where}: service", facts["service"], info["name"])
    report.equal(f"{where}: version", facts["version"], info["version"])
    report.equal(f"{where}: version as /version says", facts["version"], before["version"]["version"])
    report.equal(f"{where}: environment", facts["environment"], info["environment"])
    for field in ("pod", "node", "namespace"):
        report.equal(f"{where}: {field}", facts[field], info[field])
    report.check(f"{where}: title names version and environment",
                 info["version"] in facts["title"] and info["environment"] in facts["title"], repr(facts["title"]))
    low, high = math.floor(info["uptime_seconds"]), math.ceil(after["info"]["uptime_seconds"])
    uptime, span = facts["uptime"], f"{info['uptime_seconds']}..{after['info']['uptime_seconds']}"
    report.check(f"{where}: uptime", uptime is not None and uptime.isdigit() and low <= int(uptime) <= high,
                 f"data-seconds={uptime!r}, JSON uptime_seconds {span}")

    readiness = before["readiness"]
    report.equal(f"{where}: readiness status", facts["readiness"], readiness["status"])
    report.equal(f"{where}: readiness class", facts["readinessClass"],
                 "ok" if readiness["status"] == "READY" else "failing")
    shown = {row["name"]: row["state"] for row in facts["checks"]}
    report.equal(f"{where}: readiness checks", shown, readiness["checks"])
    for row in facts["checks"]:
        expected = "ok" if readiness["checks"].get(row["name"]) == "ok" else "failing"
        report.check(f"{where}: check row {row['name']}", row["className"] == expected and row["label"] == row["name"],
                     f"class={row['className']!r} label={row['label']!r} (expected class {expected!r})")

    hits = facts["hits"]
    report.check(f"{where}: hit count unchanged by loading the page", before["hits"] == after["hits"],
                 f"/hits/current {before['hits']} before, {after['hits']} after")
    report.check(f"{where}: hit count", hits is not None and hits["count"] == str(before["hits"])
                 and hits["text"] == grouped(before["hits"]),
                 f"page shows {hits!r}, /hits/current says {before['hits']}")

    cities = before["cities"]
    report.equal(f"{where}: city rows (name, population)",
                 [(row["name"], row["population"]) for row in facts["cities"]],
                 [(city["name"], str(city["population"])) for city in cities])
    report.equal(f"{where}: city rows as shown",
                 [(row["label"], row["shown"]) for row in facts["cities"]],
                 [(city["name"], grouped(city["population"])) for city in cities])
    report.equal(f"{where}: city names offered to the lookup", facts["datalist"], [city["name"] for city in cities])


class Watched:
    """A page with everything it does recorded: console messages, page errors, requests to
    other origins, failed requests and responses with an error status."""

    def __init__(self, page: Page, base: str):
        self.page, self.base = page, base
        self.console: list = []
        self.errors: list = []
        self.foreign: list = []
        self.failed: list = []
        self.bad_responses: list = []
        page.on("console", lambda message: self.console.append(
            (message.type, message.text, (message.location or {}).get("url", ""))))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)
        page.on("requestfailed", lambda request: self.failed.append(f"{request.url}: {request.failure}"))
        page.on("response", self._response)

    def _request(self, request) -> None:
        if not (request.url == self.base or request.url.startswith(self.base + "/")):
            self.foreign.append(request.url)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.bad_responses.append((response.status, response.url))

    def console_errors(self, allowed_url: str | None = None) -> tuple[list, list]:
        """(unexpected errors, errors from loading allowed_url: a 404 the page asked for)."""
        errors = [entry for entry in self.console if entry[0] == "error"]
        allowed = [e for e in errors if allowed_url and e[2] == allowed_url and "404" in e[1]]
        return [e for e in errors if e not in allowed], allowed

    def violations(self) -> list:
        return self.page.evaluate("() => window.__cspViolations || null")


def load(page: Page, base: str):
    response = page.goto(base + "/", wait_until="load")
    if response is None:
        raise RuntimeError("GET / in the browser: no response")
    return response


def read_facts(page: Page) -> dict:
    return page.evaluate(READ_FACTS)


def check_desktop(browser, api: Api, report: Report, artifacts: Path) -> Path:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Watched(page, api.base)
    before = expected_facts(api)
    response = load(page, api.base)
    after = expected_facts(api)
    headers = response.headers
    report.check("desktop: GET / answers HTML", response.status == 200
                 and headers.get("content-type", "").startswith("text/html"),
                 f"{response.status} {headers.get('content-type')}")
    csp = headers.get("content-security-policy", "")
    report.check("desktop: Content-Security-Policy sent", "default-src 'none'" in csp, repr(csp))
    check_facts(report, "desktop", read_facts(page), before, after)

    # The button: exactly one more hit, and the shared counter agrees.
    count = api.hits()
    page.click("#hit")
    page.wait_for_function(f"() => document.getElementById('hits').dataset.count !== '{count}'"
                           " || document.getElementById('hit-error').textContent !== ''")
    shown = page.evaluate("() => [document.getElementById('hits').dataset.count,"
                          " document.getElementById('hits').textContent.trim(),"
                          " document.getElementById('hit-error').textContent.trim()]")
    now = api.hits()
    report.check("desktop: button counts exactly one hit",
                 shown[0] == str(count + 1) and shown[1] == grouped(count + 1) and not shown[2],
                 f"#hits {count} -> data-count={shown[0]!r} text={shown[1]!r}, #hit-error={shown[2]!r}")
    report.check("desktop: /hits/current agrees with the button", now == count + 1, f"/hits/current {count} -> {now}")

    # The lookup: a missing city first, then one that exists (left on screen for the screenshot).
    missing = lookup(page, MISSING)
    report.check("desktop: lookup of a missing city", "No city named" in missing["text"] and MISSING in missing["text"]
                 and missing["className"] == "failing" and missing["population"] is None, repr(missing))
    found = lookup(page, FOUND)
    city = api.json(api.city_path(FOUND))
    report.check("desktop: lookup shows the population the JSON has", found["population"] == str(city["population"])
                 and found["text"] == f"{city['name']}: population {grouped(city['population'])}"
                 and found["className"] != "failing", f"{found!r}, JSON {city!r}")

    # Every link the page offers answers (the footer: API document, metrics, readiness, version).
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.href)")
    answers = {link: api.call("GET", link.removeprefix(api.base), accept=None)[0] for link in links}
    report.check("desktop: every link on the page answers 200", bool(links) and all(
        link.startswith(api.base + "/") and status == 200 for link, status in answers.items()),
        ", ".join(f"{link.removeprefix(api.base)} {status}" for link, status in answers.items()))

    path = artifacts / "status-page-desktop.png"
    page.screenshot(path=str(path), full_page=True)

    unexpected, allowed = watched.console_errors(api.base + api.city_path(MISSING))
    report.check("desktop: no console error (CSP violations included)", not unexpected and len(allowed) <= 1,
                 f"{unexpected}" if unexpected else f"only the lookup's 404 ({len(allowed)})")
    report.check("desktop: no page error", not watched.errors, f"{watched.errors}")
    violations = watched.violations()
    report.check("desktop: no securitypolicyviolation event", violations == [], f"{violations!r}")
    report.check("desktop: no request leaves the origin", not watched.foreign, f"{watched.foreign}")
    report.check("desktop: no failed request", not watched.failed, f"{watched.failed}")
    expected_404 = [(404, api.base + api.city_path(MISSING))]
    report.check("desktop: no error response but the missing city's 404", watched.bad_responses == expected_404,
                 f"{watched.bad_responses}")
    check_csp_enforced(context, api, report)
    context.close()
    return path


def lookup(page: Page, name: str) -> dict:
    page.fill("#city-name", name)
    page.click("#lookup button[type=submit]")
    page.wait_for_function("() => { const t = document.getElementById('city-result').textContent;"
                           " return t !== '' && !t.startsWith('Looking up'); }")
    return page.evaluate("() => { const r = document.getElementById('city-result');"
                         " return {text: r.textContent.trim(), className: r.className,"
                         " population: r.dataset.population === undefined ? null : r.dataset.population}; }")


def check_csp_enforced(context, api: Api, report: Report) -> None:
    """The detector's own proof: an inline script injected into the page must be refused by the
    CSP and show up both as a console error and as a securitypolicyviolation event."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Watched(page, api.base)
    load(page, api.base)
    page.evaluate("() => { const s = document.createElement('script');"
                  " s.textContent = 'window.__inlineRan = true'; document.head.appendChild(s); }")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    ran = page.evaluate("() => window.__inlineRan === true")
    unexpected, _ = watched.console_errors()
    said = any("Content Security Policy" in text for _, text, _ in unexpected)
    report.check("desktop: CSP enforced and its violations noticed (injected inline script)",
                 not ran and said and bool(watched.violations()),
                 f"ran={ran}, console error={said}, events={watched.violations()!r}")
    page.close()


def check_phone(browser, api: Api, report: Report, artifacts: Path) -> Path:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  color_scheme="light", locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Watched(page, api.base)
    before = expected_facts(api)
    load(page, api.base)
    after = expected_facts(api)
    check_facts(report, "phone", read_facts(page), before, after)
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    report.check("phone: no horizontal scrolling", width[0] <= width[1] and width[1] == PHONE["width"],
                 f"scrollWidth {width[0]}, innerWidth {width[1]} (viewport {PHONE['width']})")
    path = artifacts / "status-page-phone.png"
    page.screenshot(path=str(path), full_page=True)
    unexpected, _ = watched.console_errors()
    report.check("phone: no console error, page error or CSP violation",
                 not unexpected and not watched.errors and watched.violations() == [],
                 f"console={unexpected} errors={watched.errors} csp={watched.violations()!r}")
    context.close()
    return path


def check_without_javascript(browser, api: Api, report: Report, artifacts: Path) -> Path:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    before = expected_facts(api)
    load(page, api.base)
    after = expected_facts(api)
    report.check("no JavaScript: the page's scripts do not run",
                 page.evaluate("() => document.getElementById('city-result').textContent") == "", "")
    check_facts(report, "no JavaScript", read_facts(page), before, after)
    path = artifacts / "status-page-nojs.png"
    page.screenshot(path=str(path), full_page=True)
    context.close()
    return path


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Petrel's base URL, http://127.0.0.1:PORT")
    parser.add_argument("--api-key-file", required=True, type=Path)
    parser.add_argument("--artifacts", required=True, type=Path, help="where the screenshots go")
    parser.add_argument("--expect", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting Petrel was started with, that GET / must report")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    expect = dict(setting.split("=", 1) for setting in args.expect)
    api = Api(args.url.rstrip("/"), args.api_key_file.read_text().split()[0])
    args.artifacts.mkdir(parents=True, exist_ok=True)
    report = Report()
    screenshots = []
    started = time.monotonic()
    try:
        seed(api, report, expect)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, headless=True,
                                                 chromium_sandbox=False)
            print(f"browser: {args.chromium}, Chromium {browser.version}", flush=True)
            try:
                screenshots.append(check_desktop(browser, api, report, args.artifacts))
                screenshots.append(check_phone(browser, api, report, args.artifacts))
                screenshots.append(check_without_javascript(browser, api, report, args.artifacts))
            finally:
                browser.close()
    except (PlaywrightError, RuntimeError, OSError, KeyError, ValueError) as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        print(f"\ncheck-page: the run broke at {Path(where.filename).name}:{where.lineno}: "
              f"{type(error).__name__}: {error}", file=sys.stderr)
        print(f"check-page: {report.passed} passed, {len(report.failed) + 1} failed")
        return 2
    for path in screenshots:
        print(f"screenshot: {path}")
    print(f"browser checks took {time.monotonic() - started:.1f}s")
    print(f"\ncheck-page: {report.passed} passed, {len(report.failed)} failed")
    for name in report.failed:
        print(f"  FAILED: {name}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
