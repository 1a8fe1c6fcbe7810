"""The studio page in a real browser (Debian's Chromium, driven by Playwright) against `python -m server`
on the tiny weights: create a project, watch the cards fill in, edit a shot, regenerate its keyframe,
render, play the film; with API keys off and on; no console errors, no failed requests.
`S2V_DOCS_SCREENSHOT=1` also refreshes the docs' picture of the project view."""

import os

import pytest

from tests.conftest import ROOT
from tests.server.browser import needs_chromium, watched_page

pytestmark = needs_chromium
STORY = "The keeper climbed the stairs at dusk. He lit the great lamp. A small boat turned toward the light."
SCREENSHOT = ROOT / "docs" / "studio-project.png"


def thumbnail(page, index: int) -> str:
    return page.locator(".shot-card").nth(index).locator("img.thumb").get_attribute("src") or ""


def the_whole_flow(page, url: str, key: str | None = None) -> None:
    page.goto(url)
    if key:
        page.locator("#key-dialog").wait_for(state="visible")
        page.fill("#key-input", key)
        page.click("#key-submit")
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Story", exact=True).fill(STORY)
    page.get_by_label("Scenes").fill("3")
    page.get_by_label("Resolution").select_option("480p")
    page.get_by_label("Motion").select_option("kenburns")
    page.get_by_role("button", name="Create").click()
    page.locator(".shot-card").nth(2).wait_for()
    assert page.locator(".shot-card").count() == 3

    page.click("#render-button")  # the cards fill in from the event stream as the shots finish
    page.wait_for_function("document.querySelectorAll('.shot-card img.thumb[src]').length === 3", timeout=120_000)
    page.wait_for_function("document.getElementById('project-status').dataset.status === 'rendered'", timeout=120_000)

    page.locator(".shot-card").nth(1).get_by_role("button", name="Edit").click()
    page.locator("dialog.editor").get_by_label("Narration", exact=True).fill(
        "He lit the great lamp, and it burned all night."
    )
    page.locator("dialog.editor").get_by_role("button", name="Save").click()
    page.wait_for_function("document.querySelectorAll('.shot-card')[1].textContent.includes('burned all night')")
    assert "narration" in page.locator(".shot-card").nth(1).get_attribute("data-stale")
    assert "narration to record" in page.locator(".shot-card").nth(1).inner_text()

    before = thumbnail(page, 1)
    page.locator(".shot-card").nth(1).get_by_role("button", name="Edit").click()
    page.locator("dialog.editor [data-regenerate=keyframe]").click()
    page.wait_for_function(
        "before => { const img = document.querySelectorAll('.shot-card')[1].querySelector('img.thumb');"
        " return img && img.getAttribute('src') && img.getAttribute('src') !== before; }",
        arg=before,
        timeout=120_000,
    )

    page.click("#render-button")
    page.wait_for_function("document.querySelectorAll('.renders li').length === 2", timeout=120_000)
    video = page.locator("#film")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("document.getElementById('film').readyState >= 2", timeout=30_000)
    assert video.evaluate("v => v.textTracks.length") == 1  # the render's .vtt subtitles
    start = video.evaluate("v => v.currentTime")
    page.wait_for_function(f"document.getElementById('film').currentTime > {start} + 0.3", timeout=30_000)


def test_the_studio_flow_without_keys(studio_server, browser):
    page, problems = watched_page(browser)
    the_whole_flow(page, studio_server.url)
    if os.environ.get("S2V_DOCS_SCREENSHOT") == "1":
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert problems == []


@pytest.mark.parametrize("studio_server", ["studio-key"], indirect=True)
def test_the_studio_flow_with_a_key(studio_server, browser):
    page, problems = watched_page(browser)
    the_whole_flow(page, studio_server.url, key="studio-key")
    assert problems == []
    with open(studio_server.log.name, encoding="utf-8", errors="replace") as log:
        assert "studio-key" not in log.read()  # the key travels in headers and a subprotocol, never a URL


def test_phone_width_and_chinese(studio_server, browser):
    page, problems = watched_page(browser, viewport=(390, 844))
    page.goto(studio_server.url)
    page.select_option("#language", "zh")
    page.locator("#nav-new").click()
    page.get_by_role("button", name="创建").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the screen
    page.get_by_role("button", name="创建").click()  # an empty story: the API's 400 shows at its field
    error = page.locator(".field[data-field=story] .field-error")
    error.wait_for()
    assert error.inner_text()
    assert problems == [  # the refused request itself, as the browser reports it: nothing else
        f"400: {studio_server.url}/projects",
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
    ]
