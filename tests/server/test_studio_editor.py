"""The studio page as an editor, in Debian's Chromium against `python -m server` on the tiny weights:
the timeline (widths from durations, drag and keyboard to reorder, an edge to trim), undo and redo
of moves, trims, deletes, inserts, batches and take selections, the shot editor that loses nothing
(regenerate saves first, closing asks, Ctrl+S), errors and every label in both languages."""

import re
import time

import pytest

from pipelines.shot import ShotCore
from tests.server import studio_pages as pages
from tests.server.browser import needs_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    server, _ = pages.running()
    yield server
    pages.stop()


@pytest.fixture
def client(server):
    return pages.Running.client


def order(client, project_id) -> list[str]:
    return [shot["shot_id"] for shot in pages.shots_of(client, project_id)]


def widths(page) -> list[float]:
    return page.eval_on_selector_all(".timeline-item", "items => items.map(i => i.getBoundingClientRect().width)")


def drag(page, source, to_x: float, from_x: float | None = None) -> None:
    box = source.bounding_box()
    start = from_x if from_x is not None else box["x"] + box["width"] / 2
    page.mouse.move(start, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to_x, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()


def focused_shot(page) -> str:
    return page.evaluate("document.activeElement.closest('[data-shot]')?.dataset.shot || ''")


def test_timeline_reorder_trim_and_undo(server, client, browser):
    project = pages.new_project(client, title="The keeper")
    pid = project["project_id"]
    s1, s2, s3 = order(client, pid)
    for shot_id, seconds in ((s1, 2.0), (s2, 4.0), (s3, 6.0)):
        client.patch(f"/projects/{pid}/shots/{shot_id}", json={"duration": seconds})
    page, problems = pages.watched_page(browser)
    pages.open_project(page, server.url, pid)

    # Widths follow durations (2 : 4 : 6), within 10 %.
    shares = [w / sum(widths(page)) for w in widths(page)]
    for share, expected in zip(shares, (2 / 12, 4 / 12, 6 / 12), strict=True):
        assert abs(share - expected) <= 0.1 * expected, shares
    timeline = page.get_by_role("region", name="Timeline")
    assert timeline.locator(".timeline-transition").count() == 2  # the transitions between the three shots

    # Drag the third shot before the first: the project's order changes, focus stays on it.
    items = page.locator(".timeline-item")
    drag(page, items.nth(2), items.nth(0).bounding_box()["x"] + 2)
    page.wait_for_function(f"document.querySelector('.timeline-item')?.dataset.shot === '{s3}'")
    assert order(client, pid) == [s3, s1, s2]
    assert focused_shot(page) == s3

    # The keyboard way: Alt+ArrowRight moves the focused shot one place later.
    page.keyboard.press("Alt+ArrowRight")
    page.wait_for_function(f"document.querySelectorAll('.timeline-item')[1]?.dataset.shot === '{s3}'")
    assert order(client, pid) == [s1, s3, s2]
    assert focused_shot(page) == s3

    # Trim: drag the first item's right edge to the right; its duration grows.
    first = items.nth(0).bounding_box()
    drag(page, items.nth(0), first["x"] + first["width"] + 40, from_x=first["x"] + first["width"] - 3)
    page.wait_for_function(f"document.querySelector('.timeline-item[data-shot={s1}]').dataset.seconds !== '2'")
    trimmed = pages.shots_of(client, pid)[0]["duration"]
    assert 2.5 < trimmed <= 30

    # Undo the trim with Ctrl+Z, redo it with Ctrl+Shift+Z; the button undoes it, then the keyboard's move.
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("Control+z")
    page.wait_for_function(f"document.querySelector('.timeline-item[data-shot={s1}]').dataset.seconds === '2'")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(f"document.querySelector('.timeline-item[data-shot={s1}]').dataset.seconds !== '2'")
    assert pages.shots_of(client, pid)[0]["duration"] == trimmed
    page.get_by_role("button", name="Undo", exact=True).click()
    page.wait_for_function(f"document.querySelector('.timeline-item[data-shot={s1}]').dataset.seconds === '2'")
    page.get_by_role("button", name="Undo", exact=True).click()
    page.wait_for_function(f"document.querySelectorAll('.timeline-item')[0]?.dataset.shot === '{s3}'")
    assert order(client, pid) == [s3, s1, s2]

    # Arrows between cards; a card's buttons name its shot; focus follows a moved card.
    page.get_by_role("button", name="Edit shot 1", exact=True).focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Edit shot 2"
    page.get_by_role("button", name="Move shot 2 down", exact=True).click()
    page.wait_for_function(f"document.querySelectorAll('.shot-card')[2]?.dataset.shot === '{s1}'")
    assert focused_shot(page) == s1
    assert page.get_by_role("button", name="Move shot 3 down", exact=True).is_disabled()

    # Delete, then Undo: the shot is back, with its words, where it was.
    narration = pages.shots_of(client, pid)[1]["narration"]
    page.get_by_role("button", name="Delete shot 2", exact=True).click()
    page.wait_for_function("document.querySelectorAll('.shot-card').length === 2")
    page.locator("#toasts").get_by_role("button", name="Undo").click()
    page.wait_for_function("document.querySelectorAll('.shot-card').length === 3")
    back = pages.shots_of(client, pid)
    assert back[1]["narration"] == narration and len(back) == 3
    assert focused_shot(page) == back[1]["shot_id"]

    # Insert: the new shot is named as new, the editor says where its prompt came from; Undo removes it.
    page.get_by_role("button", name="Insert a shot after shot 1", exact=True).click()
    editor = page.locator("dialog.editor")
    editor.locator("#copied-note").wait_for()
    assert "copied from shot 1" in editor.inner_text()
    editor.get_by_role("button", name="Close").click()
    assert page.locator(".shot-card").nth(1).locator("h3").inner_text() == "2. New shot"
    assert focused_shot(page) == pages.shots_of(client, pid)[1]["shot_id"]
    page.get_by_role("button", name="Undo", exact=True).click()
    page.wait_for_function("document.querySelectorAll('.shot-card').length === 3")

    # A batch: select two shots, set their camera; one Undo restores both.
    cameras = [shot["camera"] for shot in pages.shots_of(client, pid)]
    page.get_by_label("Select shot 1").check()
    page.get_by_label("Select shot 3").check()
    bar = page.locator(".batch-bar")
    assert "2 selected" in bar.inner_text()
    bar.get_by_role("combobox", name="Set their camera").select_option("orbit")
    bar.get_by_role("button", name="Set their camera").click()
    page.wait_for_function("document.querySelectorAll('.shot-card')[2].innerText.includes('Orbit')")
    assert [shot["camera"] for shot in pages.shots_of(client, pid)][::2] == ["orbit", "orbit"]
    page.get_by_role("button", name="Undo", exact=True).click()
    page.wait_for_function("!document.querySelectorAll('.shot-card')[2].innerText.includes('Orbit')")
    assert [shot["camera"] for shot in pages.shots_of(client, pid)] == cameras

    # The same controls in Chinese.
    page.select_option("#language", "zh")
    page.get_by_role("region", name="时间线").wait_for()
    for name in ("编辑分镜 1", "删除分镜 3", "撤销"):
        page.get_by_role("button", name=name, exact=True).wait_for()
    assert problems == []


SECOND_CARD_SAYS = "text => document.querySelectorAll('.shot-card')[1].innerText.includes(text)"


def suggestions(editor) -> list[str]:
    return editor.locator("#emotion-suggestions option").evaluate_all("options => options.map(o => o.value)")


def test_a_shots_emotion_edited_then_undone(server, client, browser):
    project = pages.new_project(client, scenes=2, title="The keeper")
    pid = project["project_id"]
    task = client.post(f"/projects/{pid}/render", json={"until": "narration"}).json()
    pages.wait_task(client, task["task_id"])
    assert [shot["stale"] for shot in pages.shots_of(client, pid)] == [["clip"], ["clip"]]  # both lines spoken
    page, problems = pages.watched_page(browser)
    pages.open_project(page, server.url, pid)
    card = page.locator(".shot-card").nth(1)
    editor = page.locator("dialog.editor")

    # The field: free text within the API's limit, suggestions, what it does; the card shows it once saved.
    assert "Emotion" not in card.inner_text()
    page.get_by_role("button", name="Edit shot 2", exact=True).click()
    emotion = editor.get_by_label("Emotion", exact=True)
    limit = ShotCore.model_fields["emotion"].metadata[0].max_length
    assert emotion.get_attribute("maxlength") == str(limit)
    assert suggestions(editor)[:3] == ["calm", "warm", "tender"] and "whispering" in suggestions(editor)
    assert "speech engine ignores it" in editor.locator(".field[data-field=emotion]").inner_text()  # espeak-ng
    emotion.fill("whispering, afraid")
    assert editor.locator(".field[data-field=emotion] .counter").inner_text() == f"18 / {limit} characters"
    editor.get_by_role("button", name="Save").click()
    editor.wait_for(state="detached")
    page.wait_for_function(SECOND_CARD_SAYS, arg="Emotion: whispering, afraid")
    shots = pages.shots_of(client, pid)
    assert shots[1]["emotion"] == "whispering, afraid" and shots[1]["stale"] == ["narration", "clip"]
    assert shots[0]["emotion"] is None and shots[0]["stale"] == ["clip"]
    assert card.get_attribute("data-stale") == "narration clip"
    assert "narration to record" in card.inner_text()

    # Undo brings the shot's earlier emotion (none) back.
    page.get_by_role("button", name="Undo", exact=True).click()
    page.wait_for_function(f"!({SECOND_CARD_SAYS})('Emotion')")
    assert pages.shots_of(client, pid)[1]["emotion"] is None

    # In Chinese: the label, the suggestions in Chinese, one written into the field, the card's word.
    page.select_option("#language", "zh")
    page.get_by_role("button", name="编辑分镜 2", exact=True).click()
    assert suggestions(editor)[:3] == ["平静", "温暖", "温柔"]
    assert "Qwen3-TTS" in editor.locator(".field[data-field=emotion]").inner_text()
    editor.get_by_label("情绪", exact=True).fill(suggestions(editor)[-1])  # whispering
    page.keyboard.press("Control+s")
    editor.wait_for(state="detached")
    page.wait_for_function(SECOND_CARD_SAYS, arg="情绪：低语")
    assert pages.shots_of(client, pid)[1]["emotion"] == "低语"
    assert problems == []


ENGLISH_WORDS = re.compile(
    r"\b(ready|rendered|rendering|running|pending|paused|done|storyboard|frames|clips|compose|stale|push_in|pan_left"
    r"|pan_right|pull_out|tilt_up|tilt_down|kenburns|i2v|crossfade|Edit|Delete|Undo|Redo|Render|Timeline|Shots|Cast"
    r"|Warnings|Keyframe|Narration|Clip|Status|Created|String should|Input should|Failed to fetch|HTTP \d+)\b"
)


def english_in(page) -> list[str]:
    """English words the page shows (text, option labels, button names), user text aside."""
    shown = page.evaluate(
        "() => [document.body.innerText,"
        " ...[...document.querySelectorAll('option')].map(o => o.textContent),"
        " ...[...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))].join('\\n')"
    )
    return ENGLISH_WORDS.findall(shown)


def test_nothing_lost_in_the_editor_in_chinese(server, client, browser):
    project = pages.new_project(client, story=pages.ZH_STORY, scenes=2, title="灯塔")
    pid = project["project_id"]
    page, problems = pages.watched_page(browser, "zh")
    pages.open_project(page, server.url, pid)
    editor = page.locator("dialog.editor")

    # An edited prompt, then "redraw the keyframe": the prompt is saved first, and the new take is drawn.
    page.get_by_role("button", name="编辑分镜 1", exact=True).click()
    editor.get_by_label("画面提示词").fill("a red lighthouse on a cliff at night")
    editor.locator("[data-regenerate=keyframe]").click()
    editor.wait_for(state="detached")
    first = pages.shots_of(client, pid)[0]
    assert first["prompt"] == "a red lighthouse on a cliff at night"
    page.wait_for_function("document.querySelector('.shot-card img.thumb')?.complete", timeout=60_000)
    page.wait_for_function("document.getElementById('task-stage')?.dataset.status === 'done'", timeout=60_000)
    assert pages.shots_of(client, pid)[0]["keyframe"]

    # Closing with unsaved edits asks: keep editing, then discard.
    page.get_by_role("button", name="编辑分镜 2", exact=True).click()
    editor.get_by_label("旁白", exact=True).fill("一段不该丢的旁白")
    page.keyboard.press("Escape")
    question = page.locator("dialog.question")
    question.get_by_role("button", name="继续编辑").click()
    assert editor.get_by_label("旁白", exact=True).input_value() == "一段不该丢的旁白"
    editor.get_by_role("button", name="关闭").click()
    question.get_by_role("button", name="放弃修改").click()
    editor.wait_for(state="detached")
    assert pages.shots_of(client, pid)[1]["narration"] != "一段不该丢的旁白"

    # Ctrl+S saves; an out-of-range duration is worded in Chinese at its field.
    page.get_by_role("button", name="编辑分镜 2", exact=True).click()
    editor.get_by_label("时长").fill("99")
    editor.get_by_label("标题").fill("灯光")
    page.keyboard.press("Control+s")
    error = editor.locator(".field[data-field=duration] .field-error")
    error.wait_for()
    assert error.inner_text() == "不能大于 30。"
    editor.get_by_label("时长").fill("")
    page.keyboard.press("Control+s")
    editor.wait_for(state="detached")
    assert pages.shots_of(client, pid)[1]["title"] == "灯光"
    problems = pages.refused(problems, 400)

    # Takes side by side: redraw once more, pick the first take with one click, undo the pick.
    page.get_by_role("button", name="编辑分镜 1", exact=True).click()
    editor.locator("[data-regenerate=keyframe]").click()
    editor.wait_for(state="detached")
    page.wait_for_function(
        "document.getElementById('task-stage')?.dataset.status === 'done' &&"
        " document.querySelector('#render-button') && !document.querySelector('#render-button').disabled",
        timeout=60_000,
    )
    takes = pages.shots_of(client, pid)[0]["takes"]
    assert len(takes) == 2
    page.get_by_role("button", name="编辑分镜 1", exact=True).click()
    cards = editor.locator(".takes .take")
    assert cards.count() == 2
    assert "种子" in cards.nth(0).inner_text() and str(takes[0]["seed"]) in cards.nth(0).inner_text()
    editor.get_by_role("button", name="使用版本 1").click()
    page.wait_for_function(f"document.querySelector('.take.in-use')?.dataset.take === '{takes[0]['take_id']}'")
    assert pages.shots_of(client, pid)[0]["take_id"] == takes[0]["take_id"]
    editor.get_by_role("button", name="关闭").click()
    page.get_by_role("button", name="撤销", exact=True).click()
    page.wait_for_function(f"document.querySelector('.shot-card')?.dataset.take === '{takes[1]['take_id']}'")

    # A batch: two shots selected, their keyframes redrawn one after the other.
    before = [len(shot["takes"]) for shot in pages.shots_of(client, pid)]
    page.get_by_label("选择分镜 1").check()
    page.get_by_label("选择分镜 2").check()
    page.get_by_role("button", name="重绘它们的关键帧").click()
    deadline = time.monotonic() + 120
    while [len(shot["takes"]) for shot in pages.shots_of(client, pid)] != [n + 1 for n in before]:
        assert time.monotonic() < deadline, pages.shots_of(client, pid)
        time.sleep(0.5)
    page.wait_for_function("document.querySelector('.batch-bar [role=status]')?.textContent === ''", timeout=60_000)

    # No English status, stage, option or error word anywhere, the editor open included.
    assert english_in(page) == []
    page.get_by_role("button", name="编辑分镜 1", exact=True).click()
    assert english_in(page) == []
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", editor.inner_text())  # the date as Chinese writes it
    editor.get_by_role("button", name="关闭").click()
    assert problems == []


def test_errors_and_limits_in_both_languages(server, client, browser):
    page, problems = pages.watched_page(browser, viewport=(390, 844))
    page.goto(f"{server.url}/#/new")
    story = page.get_by_label("Story", exact=True)
    story.fill("x" * 20_001)
    counter = page.locator(".field[data-field=story] .counter")
    assert counter.inner_text() == "20001 / 20000 characters"  # the limit, before anything is sent
    page.get_by_label("Scenes").fill("99")
    assert page.locator(".field[data-field='options.scene_count'] .hint").inner_text() == "1 to 24"
    page.get_by_role("button", name="Create").click()
    error = page.locator(".field[data-field=story] .field-error")
    error.wait_for()
    assert error.inner_text() == "At most 20000 characters."
    story.fill("")
    page.get_by_role("button", name="Create").click()
    page.wait_for_function(
        "document.querySelector('.field[data-field=story] .field-error').textContent === 'This is required.'"
    )
    story.fill("A short story.")
    page.get_by_role("button", name="Create").click()
    scenes = page.locator(".field[data-field='options.scene_count'] .field-error")
    scenes.wait_for()
    assert scenes.inner_text() == "At most 24."
    assert not page.get_by_label("Volume").is_enabled()  # music's fields wait for music
    page.get_by_label("Add background music").check()
    assert page.get_by_label("Volume").is_enabled()

    page.select_option("#language", "zh")
    page.get_by_label("故事", exact=True).fill("x" * 20_001)
    page.get_by_role("button", name="创建").click()
    page.wait_for_function(
        "document.querySelector('.field[data-field=story] .field-error')?.textContent === '最多 20000 个字符。'"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert pages.refused(problems, 400) == []


@pytest.mark.skipif("not pages.serves('error_limits')", reason="the API's 400s do not say why with a limit yet")
def test_the_api_names_reason_field_and_limit(server, client, browser):
    error = client.post("/projects", json={"story": "x" * 20_001}).json()["error"]
    assert (error["field"], error["reason"], error["limit"]) == ("story", "too_long", 20_000)
    project = pages.new_project(client, scenes=1)
    shot = project["shots"][0]["shot_id"]
    error = client.patch(f"/projects/{project['project_id']}/shots/{shot}", json={"duration": 99}).json()["error"]
    assert (error["field"], error["reason"], error["limit"]) == ("duration", "too_large", 30)
    page, problems = pages.watched_page(browser, "zh")
    pages.open_project(page, server.url, project["project_id"])
    page.get_by_role("button", name="编辑分镜 1", exact=True).click()
    editor = page.locator("dialog.editor")
    editor.get_by_label("时长").fill("99")
    editor.get_by_label("标题").fill("x" * 201)
    editor.get_by_role("button", name="保存").click()
    message = editor.locator(".field[data-field=title] .field-error")
    message.wait_for()
    assert message.inner_text() == "最多 200 个字符。"
    editor.get_by_label("标题").fill("短标题")
    editor.get_by_role("button", name="保存").click()
    message = editor.locator(".field[data-field=duration] .field-error")
    message.wait_for()
    assert message.inner_text() == "不能大于 30。"
    assert pages.refused(problems, 400) == []
