// One project as an editor: the header (status, render controls, warnings), the shots, the cast,
// and beside them a viewer that stays on screen (progress, film, timeline, renders). This module
// reads the project, follows its events, keeps focus where the person was, and routes the keys.

import { api, events } from "./api.js";
import { fill, h } from "./dom.js";
import { castPanel } from "./cast.js";
import { shotEdits } from "./edits.js";
import { createHistory } from "./history.js";
import { t } from "./i18n.js";
import { loadLimits } from "./limits.js";
import { drawActivity, drawHeader } from "./progress.js";
import { editShot } from "./shot.js";
import { createShots, undoOrRedo } from "./shots.js";
import { loadSystem } from "./system.js";
import { createViewer } from "./viewer.js";

const WORKING = ["pending", "running"];

// Whether edits wait (the API refuses them while the project's task runs) and whether a new render
// waits (also while one is paused), as the API decides it.
function busyness(project, task) {
  const done = !task || (task.kind === "storyboard" && project.status === "ready");
  const busy = !done && WORKING.includes(task.status);
  return { busy, paused: Boolean(task && task.status === "paused"), reason: busy ? t("busyReason") : task && task.status === "paused" ? t("pausedReason") : "" };
}

export async function projectView(main, projectId) {
  const [system] = await Promise.all([loadSystem(), loadLimits()]);
  const state = { project: null, task: null, busy: false, paused: false, reason: "", system, selected: new Set() };
  const header = h("section", { class: "project-header", "aria-labelledby": "project-title" });
  const viewerBox = h("aside", { class: "viewer", id: "viewer", tabindex: "-1", "aria-label": t("player") });
  const shotsBox = h("section", { class: "shots-section", "aria-labelledby": "shots-title" });
  const castBox = h("section", { class: "cast" });
  fill(main, h("div", { class: "project-layout" }, header, viewerBox, shotsBox, castBox));
  document.getElementById("skip-player").hidden = false;

  const view = { state, projectId };
  view.history = createHistory(() => view.shots && view.shots.drawUndo());
  view.edits = shotEdits(projectId, view.history, () => state.project, (focus) => view.refresh(focus));
  view.openEditor = (shot, options = {}) => editShot(view, shot, options);
  view.viewer = createViewer(viewerBox, view);
  view.shots = createShots(shotsBox, view);
  const drawCast = castPanel(castBox, projectId, () => view.refresh(), system);

  // One read at a time; one asked for meanwhile runs after it (the read under way may predate the
  // change it is asked for). `focus`: {shot, action} to land on once drawn.
  let reading = null;
  let queued = null;
  let wanted = null;
  let drawn = ""; // what the page was last drawn from
  view.refresh = (focus = null) => {
    if (focus) wanted = focus;
    if (!reading) {
      const asked = wanted;
      wanted = null;
      reading = read(asked).finally(() => (reading = null));
      return reading;
    }
    queued ||= reading.catch(() => {}).then(() => {
      queued = null;
      return view.refresh();
    });
    return queued;
  };
  const read = async (asked) => {
    const project = await api.get(`/projects/${projectId}`);
    // The task may have been deleted since (DELETE /tasks/<id>): the project stands without it.
    const task = project.task_id ? await api.get(`/tasks/${project.task_id}`).catch(() => null) : null;
    Object.assign(state, { project, task }, busyness(project, task));
    drawActivity(view.viewer.activity, view); // its time so far moves on even when nothing else does
    // Nothing new: the page stays as it is (what has focus, a hover, a drag under way).
    const seen = JSON.stringify([project, task, asked]);
    if (seen === drawn) return;
    drawn = seen;
    // Focus lands where the change asked ("keep": the same control of the shot that moved), else stays.
    const here = whereFocusIs(main);
    const focus = asked && asked.action === "keep" ? { shot: asked.shot, action: (here && here.action) || "edit" } : asked || here;
    drawHeader(header, view);
    view.shots.draw();
    await drawCast(project);
    await view.viewer.draw();
    restoreFocus(main, focus);
  };

  // Events come in bursts (a shot's three files, progress): one refresh per burst is enough.
  let soon = null;
  const later = () => {
    soon ||= setTimeout(() => view.refresh().catch(() => {}).finally(() => (soon = null)), 250);
  };
  await view.refresh();
  const close = events((event) => {
    if (event.project_id !== projectId && event.task_id !== state.project.task_id) return;
    if (event.event === "progress" && state.task && event.task_id === state.task.task_id) {
      // The event's stage is the one reporting (two may take turns); a stage event's refresh names them.
      state.task.progress = event.data.progress;
      drawActivity(view.viewer.activity, view);
    } else later();
  }, later);
  // A slow look while a task works, in case the stream dropped an event in between.
  const poll = setInterval(() => state.task && WORKING.includes(state.task.status) && later(), 3000);
  const keys = (event) => onKey(event, view);
  document.addEventListener("keydown", keys);
  return () => {
    clearInterval(poll);
    close();
    document.removeEventListener("keydown", keys);
    document.getElementById("skip-player").hidden = true;
    view.viewer.leave();
  };
}

// Where focus is, as {shot, action}, so the same control of the same shot has it after a redraw.
function whereFocusIs(main) {
  const focused = document.activeElement;
  if (!focused || !main.contains(focused)) return null;
  const holder = focused.closest("[data-shot]");
  if (!holder || !focused.dataset.action) return null;
  return { shot: holder.dataset.shot, action: focused.dataset.action };
}

function restoreFocus(main, focus) {
  if (!focus || !focus.shot) return;
  const holder = `[data-shot="${CSS.escape(focus.shot)}"]`;
  const wanted = main.querySelector(`${holder} [data-action="${CSS.escape(focus.action)}"], ${holder}[data-action="${CSS.escape(focus.action)}"]`);
  const target = wanted && !wanted.disabled ? wanted : main.querySelector(`${holder} [data-action="edit"]`) || main.querySelector(holder);
  if (target && target !== document.activeElement) target.focus({ preventScroll: false });
}

// Page keys: undo and redo anywhere but in a text field (which has its own); J, K, L and space for
// the player; arrows between shots are the shot list's own (shots.js).
function onKey(event, view) {
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  const key = event.key.toLowerCase();
  if ((event.ctrlKey || event.metaKey) && !typing && (key === "z" || key === "y")) {
    event.preventDefault();
    const redo = key === "y" || event.shiftKey;
    undoOrRedo(view, redo);
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const onButton = target.closest && target.closest("button, a, summary, [role=button]");
  if (key === " " && onButton) return; // space presses the focused button
  if (["j", "k", "l", " "].includes(key) && view.viewer.keys(key)) event.preventDefault();
}
