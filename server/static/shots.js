// The shot cards: each control named with its shot's number, the reason they wait while a task
// runs, undo and redo, arrows between cards, and a batch bar for the shots selected (redraw their
// keyframes one after another, set their camera, add a character to them).

import { api, fileUrl } from "./api.js";
import { attempt, badge, fill, h, toast } from "./dom.js";
import { labelled, list, t } from "./i18n.js";
import { playShot, listenButton } from "./preview.js";
import { CAMERAS } from "./shot.js";
import { label, secondsText } from "./words.js";

export function createShots(section, view) {
  const { state } = view;
  const undo = h("button", { type: "button", id: "undo-button", onclick: () => undoOrRedo(view, false) }, t("undo"));
  const redo = h("button", { type: "button", id: "redo-button", onclick: () => undoOrRedo(view, true) }, t("redo"));
  const reason = h("p", { class: "reason", id: "busy-reason", hidden: true });
  const batch = h("div", { class: "batch-bar", role: "group", "aria-label": t("selectedCount", { count: 0 }), hidden: true });
  const grid = h("ol", { class: "shot-grid", "aria-labelledby": "shots-title" });
  grid.addEventListener("keydown", (event) => arrows(event, grid));
  fill(section, h("div", { class: "shots-head" }, h("h2", { id: "shots-title" }, t("shots")), h("div", { class: "row" }, undo, redo)), reason, batch, grid);

  const drawUndo = () => {
    const next = view.history.nextUndo();
    const again = view.history.nextRedo();
    undo.disabled = !view.history.canUndo() || state.busy;
    redo.disabled = !view.history.canRedo() || state.busy;
    undo.title = next ? t("undoWhat", { what: next.label }) : "";
    redo.title = again ? t("redoWhat", { what: again.label }) : "";
  };

  const draw = () => {
    const { project } = state;
    for (const id of [...state.selected]) if (!project.shots.some((shot) => shot.shot_id === id)) state.selected.delete(id);
    reason.hidden = !state.busy;
    reason.textContent = state.busy ? state.reason : "";
    fill(grid, project.shots.map((shot, index) => card(shot, index, view)));
    drawBatch(batch, view, draw);
    drawUndo();
  };
  return { draw, drawUndo, drawBatch: () => drawBatch(batch, view, draw) };
}

export function undoOrRedo(view, redo) {
  return attempt(view, async () => {
    const entry = redo ? await view.history.redo() : await view.history.undo();
    if (entry) toast(t(redo ? "redone" : "undone", { what: entry.label }));
  });
}

function card(shot, index, view) {
  const { state, edits } = view;
  const { project } = state;
  const n = index + 1;
  const waits = state.busy;
  const why = waits ? "busy-reason" : null;
  const run = (action) => () => attempt(view, action);
  const remove = run(async () => {
    await edits.remove(shot);
    toast(t("shotDeleted", { n }), "info", { label: t("undo"), run: () => undoOrRedo(view, false) });
  });
  const insert = run(async () => {
    const made = await edits.insertAfter(shot, { title: "", prompt: shot.prompt, negative_prompt: shot.negative_prompt, narration: "" });
    const fresh = state.project.shots.find((one) => one.shot_id === made.shot_id);
    if (fresh) view.openEditor(fresh, { copiedFrom: n });
  });
  const select = h("input", { type: "checkbox", dataset: { action: "select" }, checked: state.selected.has(shot.shot_id), "aria-label": t("selectShot", { n }) });
  select.addEventListener("change", () => {
    if (select.checked) state.selected.add(shot.shot_id);
    else state.selected.delete(shot.shot_id);
    view.shots.drawBatch();
  });
  const button = (action, text, name, onclick, disabled = waits) =>
    h("button", { type: "button", dataset: { action }, "aria-label": name, title: name, disabled, "aria-describedby": disabled && waits ? why : null, onclick }, text);
  const madeNothing = !shot.take_id && ["keyframe", "narration", "clip"].every((what) => shot.stale.includes(what));
  return h(
    "li",
    { class: "card shot-card", dataset: { shot: shot.shot_id, take: shot.take_id || "", stale: shot.stale.join(" ") } },
    picture(shot, n, state),
    h("div", { class: "card-head" }, select, h("h3", {}, `${n}. ${shot.title || t("newShot")}`)),
    shot.narration ? h("p", { class: "narration" }, shot.narration) : null,
    h("p", { class: "muted" }, facts(shot).join(" · ")),
    shot.characters.length ? h("p", { class: "muted shot-cast" }, t("castOf", { names: list(shot.characters) })) : null,
    h(
      "div",
      { class: "badges" },
      madeNothing ? badge(t("notMadeYet"), "stale") : shot.stale.map((what) => badge(t(`needs.${what}`), "stale")),
      shot.audio && !shot.stale.includes("narration") ? badge(t("narrationReady"), "ok") : null,
      shot.clip && !shot.stale.includes("clip") ? badge(t("clipReady"), "ok") : null,
    ),
    h(
      "div",
      { class: "row" },
      button("edit", t("edit"), t("editShot", { n }), () => view.openEditor(shot)),
      shot.clip || (shot.keyframe && shot.audio) ? button("play", "▶", t("playShot", { n }), () => playShot(shot, n), false) : null,
      shot.audio ? listenButton(shot, n) : null,
    ),
    h(
      "div",
      { class: "row tools" },
      button("up", "↑", t("moveUpShot", { n }), run(() => edits.move(shot, index - 1)), waits || index === 0),
      button("down", "↓", t("moveDownShot", { n }), run(() => edits.move(shot, index + 1)), waits || index === project.shots.length - 1),
      button("insert", "+", t("insertAfterShot", { n }), insert),
      button("delete", "×", t("deleteShot", { n }), remove, waits || project.shots.length === 1),
    ),
  );
}

// The camera, the duration and, when set, the emotion its line is spoken in (as written: free text).
function facts(shot) {
  const shown = [`${labelled(t("camera"))}${label("camera", shot.camera)}`, `${labelled(t("duration"))}${secondsText(shot.duration)}`];
  if (shot.emotion) shown.push(`${labelled(t("emotion"))}${shot.emotion}`);
  return shown;
}

// The keyframe in use; a picture uploaded for the shot shows at once, before a render uses it.
function picture(shot, n, state) {
  const own = shot.own_keyframe || (shot.stale.includes("keyframe") ? (state.ownPictures || new Map()).get(shot.shot_id) : null);
  const path = own || shot.keyframe;
  if (!path) return h("div", { class: "thumb empty" });
  const image = h("img", { class: "thumb", alt: t("keyframeOf", { n }), dataset: { path } });
  fileUrl(path).then((url) => (image.src = url)).catch(() => {});
  return own ? h("div", { class: "own-picture" }, image, badge(t("yourPicture"), "ok")) : image;
}

// Arrow keys between cards: the same control of the next or previous shot (its first one if that
// control is not there or waits).
function arrows(event, grid) {
  const forward = { ArrowDown: true, ArrowRight: true, ArrowUp: false, ArrowLeft: false }[event.key];
  if (forward === undefined || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const here = event.target.closest(".shot-card");
  if (!here || event.target.matches("input:not([type=checkbox]), textarea, select")) return;
  const next = forward ? here.nextElementSibling : here.previousElementSibling;
  if (!next) return;
  event.preventDefault();
  const action = event.target.dataset.action;
  const same = next.querySelector(`[data-action="${action}"]:not(:disabled)`);
  (same || next.querySelector("[data-action]:not(:disabled)"))?.focus();
}

function drawBatch(bar, view, redraw) {
  const { state, edits } = view;
  const chosen = state.project.shots.filter((shot) => state.selected.has(shot.shot_id));
  bar.hidden = chosen.length === 0;
  if (!chosen.length) return fill(bar);
  const run = (action) => () => attempt(view, action);
  const camera = h("select", { "aria-label": t("batchCamera") }, CAMERAS.map((name) => h("option", { value: name }, label("camera", name))));
  const names = (state.project.characters || []).map((person) => person.name);
  const person = h("select", { "aria-label": t("batchCharacter") }, names.map((name) => h("option", { value: name }, name)));
  const status = h("span", { class: "muted", role: "status" });
  const redrawKeyframes = run(async () => {
    for (const [i, shot] of chosen.entries()) {
      const n = state.project.shots.findIndex((one) => one.shot_id === view.history.ids.now(shot.shot_id)) + 1;
      status.textContent = t("batchWorking", { n, i: i + 1, count: chosen.length });
      const fresh = state.project.shots.find((one) => one.shot_id === view.history.ids.now(shot.shot_id));
      const task = await edits.regenerate(fresh, ["keyframe"]);
      await finished(task.task_id);
      await view.refresh();
    }
    status.textContent = "";
  });
  bar.setAttribute("aria-label", t("selectedCount", { count: chosen.length }));
  fill(
    bar,
    h("strong", {}, t("selectedCount", { count: chosen.length })),
    h("button", { type: "button", id: "batch-redraw", disabled: state.busy, onclick: redrawKeyframes }, t("batchRedraw")),
    h("span", { class: "row" }, camera, h("button", { type: "button", id: "batch-camera", disabled: state.busy, onclick: run(() => edits.patchMany(chosen, () => ({ camera: camera.value }))) }, t("batchCamera"))),
    names.length
      ? h("span", { class: "row" }, person, h("button", { type: "button", id: "batch-character", disabled: state.busy, onclick: run(() => edits.patchMany(chosen, (shot) => ({ characters: [...new Set([...shot.characters, person.value])] }))) }, t("batchCharacter")))
      : null,
    h("button", { type: "button", onclick: () => (state.selected.clear(), redraw()) }, t("clearSelection")),
    status,
  );
}

async function finished(taskId) {
  for (;;) {
    const task = await api.get(`/tasks/${taskId}`);
    if (!["pending", "running", "paused"].includes(task.status)) return task;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
