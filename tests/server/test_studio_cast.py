"""The studio's cast panel in a real browser against `python -m server` on the tiny weights: add a
character, give it a reference image, change its strength, put it in a shot, draw a new design,
delete it; its errors at their fields; no console errors, no failed requests."""

from PIL import Image

from tests.server.browser import needs_chromium, watched_page

# The studio test's fixtures: a real server on the tiny weights (keys off) and Debian's Chromium.
pytestmark = needs_chromium
STORY = 'Mara climbed the stairs at dusk. She said, "The lamp is lit." A small boat turned toward the light.'
CARD = ".cast-card[data-character=Mara]"


def identity_of(page) -> str:
    return page.locator(f"{CARD} .identity").get_attribute("data-identity") or ""


def picture_of(page) -> str:
    """The /data/ path the card's picture shows (its src is an object URL when keys are on)."""
    return page.locator(f"{CARD} .cast-image").get_attribute("data-path") or ""


def new_project(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Story", exact=True).fill(STORY)
    page.get_by_label("Scenes").fill("2")
    page.get_by_label("Resolution").select_option("480p")
    page.get_by_role("button", name="Create").click()
    # The storyboard task's end, not the project's status: that reads "ready" a moment before the task
    # lets go of the project (edits until then answer 409 project_busy).
    page.wait_for_function("document.getElementById('task-stage')?.dataset.status === 'done'", timeout=60_000)


def add_character(page) -> None:
    add = page.locator("form.add-character")
    add.get_by_label("Name").fill("Mara")
    add.get_by_label("Description (how they look)").fill("a lighthouse keeper, grey braid, yellow raincoat")
    add.get_by_role("button", name="Add character").click()
    page.locator(CARD).wait_for()


def put_in_first_shot(page) -> None:
    page.locator(".shot-card").first.get_by_role("button", name="Edit").click()
    editor = page.locator("dialog.editor")
    editor.get_by_label("Mara").check()
    editor.get_by_label("Speakers").fill("Mara")
    editor.get_by_role("button", name="Save").click()
    page.wait_for_function("document.querySelector('.shot-card .shot-cast')?.textContent === 'Cast: Mara'")
    page.locator(".shot-card").first.get_by_role("button", name="Edit").click()
    assert editor.get_by_label("Mara").is_checked()
    assert editor.get_by_label("Speakers").input_value() == "Mara"
    editor.get_by_role("button", name="Close").click()


def draw_a_new_design(page) -> str:
    """Press the card's button, wait for its task, and answer the new design's /data/ path."""
    before = picture_of(page)
    page.locator(CARD).get_by_role("button", name="Draw a new design").click()
    page.wait_for_function(
        "before => { const img = document.querySelector('.cast-card img.cast-image');"
        " return img && img.dataset.path !== before && img.complete && img.naturalWidth > 0; }",
        arg=before,
        timeout=60_000,
    )
    page.wait_for_function(f"document.querySelector('{CARD} [data-action=design]')?.disabled === false")
    return picture_of(page)


def test_the_cast_panel(studio_server, browser, tmp_path):
    page, problems = watched_page(browser)
    new_project(page, studio_server.url)
    add_character(page)
    assert identity_of(page) == "design"
    first_design = draw_a_new_design(page)

    reference = tmp_path / "mara.png"
    Image.new("RGB", (96, 96), (200, 160, 40)).save(reference)
    page.locator(CARD).get_by_label("Reference image (upload)").set_input_files(reference)
    page.wait_for_function(f"document.querySelector('{CARD} .identity')?.dataset.identity === 'reference'")
    assert picture_of(page).startswith("/data/")
    # The design is still seen beside the reference that is the identity now.
    assert page.locator(f"{CARD} img.cast-design").get_attribute("data-path") == first_design

    slider = page.locator(CARD).get_by_label("Strength")
    slider.focus()
    slider.press("ArrowRight")  # keyboard only: 0.60 -> 0.65
    assert page.locator(f"{CARD} .strength-value").inner_text() == "0.65"
    page.locator(CARD).get_by_role("button", name="Save").click()
    page.wait_for_function(f"document.querySelector('{CARD} input[type=range]')?.getAttribute('value') === '0.65'")

    put_in_first_shot(page)

    page.locator(CARD).get_by_role("button", name="Clear the reference").click()
    page.wait_for_function(f"document.querySelector('{CARD} .identity')?.dataset.identity === 'design'")
    assert picture_of(page) == first_design
    assert draw_a_new_design(page) not in ("", first_design)

    # A taken name: the API's 409 shows at the name field.
    add_form = page.locator("form.add-character")
    add_form.get_by_label("Name").fill("Mara")
    add_form.get_by_role("button", name="Add character").click()
    add_form.locator(".field[data-field=name] .field-error").wait_for()
    refused = [p for p in problems if "409" in p or "Conflict" in p]
    assert len(refused) == 2  # the response, and the browser's console line about it
    problems = [p for p in problems if p not in refused]

    page.set_viewport_size({"width": 390, "height": 844})
    page.select_option("#language", "zh")
    page.get_by_role("button", name="添加角色").wait_for()
    page.locator(CARD).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off a phone's screen

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(CARD).get_by_role("button", name="删除 Mara").click()
    page.locator(CARD).wait_for(state="detached")
    assert page.locator(".shot-cast").count() == 0  # gone from the shot too
    assert problems == []
