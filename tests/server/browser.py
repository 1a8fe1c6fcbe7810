"""What the studio's browser tests share besides their fixtures (`browser`, `studio_server` in
conftest.py): Debian's Chromium (the tests skip where it is not installed) and a page that records
console errors and failed requests."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh installs it)"
)


def watched_page(browser, viewport=(1280, 720)):
    """A page that records console errors and failed requests."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
    problems = []
    # A 401 is how the page learns that it needs a key (it then asks once): not a problem.
    page.on("console", lambda m: m.type == "error" and "401" not in m.text and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and r.status != 401 and problems.append(f"{r.status}: {r.url}"))
    return page, problems
