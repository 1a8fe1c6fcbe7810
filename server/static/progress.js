// The project's header (title, status, the render controls with the reason they wait, warnings
// one per kind) and the activity bar that travels with the viewer: the task's progress, with a
// live region that announces its stage and every tenth of the way, not every tick.

import { api } from "./api.js";
import { attempt, fill, h } from "./dom.js";
import { labelled, t } from "./i18n.js";
import { dateText, elapsedText, errorText, label, warningLines } from "./words.js";

const UNTIL = ["video", "clips", "narration", "keyframes"];

export function drawHeader(header, view) {
  const { state } = view;
  const { project, task } = state;
  const until = h("select", { id: "render-until" }, UNTIL.map((name) => h("option", { value: name, selected: name === (state.until || "video") }, label("until", name))));
  until.addEventListener("change", () => (state.until = until.value));
  const act = (path, body) => () =>
    attempt(view, async () => {
      await api.post(path, body);
      await view.refresh();
    });
  const waits = state.busy || state.paused;
  const failure = project.error || (task && task.status === "error" && task.error);
  const lines = task ? warningLines(task.warnings || [], project.shots) : [];
  fill(
    header,
    h("h1", { id: "project-title" }, project.title || project.story.slice(0, 60) || t("untitled")),
    h("p", { class: "muted" }, labelled(t("status")), h("span", { id: "project-status", dataset: { status: project.status } }, label("status", project.status)), ` · ${labelled(t("created"))}${dateText(project.created_at)}`),
    task && task.stages.length > 1
      ? h("ol", { class: "stages", "aria-label": t("progress") }, task.stages.map((stage) => h("li", { class: stage.status, dataset: { stage: stage.name } }, `${label("stage", stage.name)} ${Math.round(stage.progress * 100)}%`)))
      : null,
    h(
      "div",
      { class: "row render-row" },
      h("label", { for: "render-until" }, t("until")),
      until,
      h("button", { type: "button", class: "primary", id: "render-button", disabled: waits, "aria-describedby": waits ? "render-reason" : null, onclick: () => act(`/projects/${project.project_id}/render`, { until: until.value })() }, t("render")),
      task && task.status === "running" ? h("button", { type: "button", id: "pause-button", onclick: act(`/tasks/${task.task_id}/pause`) }, t("pause")) : null,
      task && task.status === "paused" ? h("button", { type: "button", id: "resume-button", onclick: act(`/tasks/${task.task_id}/resume`) }, t("resume")) : null,
      waits ? h("button", { type: "button", id: "cancel-button", onclick: act(`/tasks/${task.task_id}/cancel`) }, t("cancel")) : null,
    ),
    waits ? h("p", { class: "reason", id: "render-reason" }, state.reason) : null,
    lines.length ? h("section", { class: "warnings", "aria-labelledby": "warnings-title" }, h("h2", { id: "warnings-title" }, t("warnings")), h("ul", {}, lines.map((line) => h("li", { dataset: { warning: line.kind } }, line.text)))) : null,
    failure ? h("p", { class: "error" }, t("error.task", { stage: failedAt(failure, task), message: errorText(failure, "error.task_failed") })) : null,
  );
}

// Where a failure happened: its stage, else the task's kind ("Keyframes", "Render").
function failedAt(failure, task) {
  const stage = failure.stage || (task && task.stage);
  return stage ? label("stage", stage) : label("kind", (task && task.kind) || "render");
}

// The bar's parts are made once (the live region must stay the same element to be announced).
export function activityBar() {
  const bar = h("div", { class: "activity" });
  const progress = h("progress", { id: "task-progress", max: 1, value: 0, "aria-label": t("progress") });
  const stage = h("span", { id: "task-stage" });
  const live = h("p", { class: "visually-hidden", id: "activity-live", role: "status", "aria-live": "polite" });
  bar.append(h("div", { class: "activity-line" }, progress, stage), live);
  return Object.assign(bar, { parts: { progress, stage, live } });
}

export function drawActivity(bar, view) {
  const { project, task } = view.state;
  const { progress, stage, live } = bar.parts;
  bar.hidden = !task;
  if (!task) return;
  const running = ["pending", "running"].includes(task.status);
  // Stages running at once (a render's narration beside its clips) are named together.
  const together = (task.stages || []).filter((s) => s.status === "running").map((s) => label("stage", s.name));
  const stageName = together.length > 1 ? together.join(" + ") : label("stage", task.stage || task.kind);
  const percent = Math.round((task.progress || 0) * 100);
  const kind = label("kind", task.kind);
  const single = (task.stages || []).length <= 1 || task.stage === task.kind;
  const what = single ? kind : t("taskWhat", { kind, stage: stageName });
  // A storyboard says nothing until it is whole: a bar that moves without a value, and the time so far.
  const unknown = running && task.kind === "storyboard" && !task.progress;
  if (unknown) progress.removeAttribute("value");
  else progress.value = task.progress || 0;
  const since = task.started_at && running ? ` · ${t("elapsed", { time: elapsedText((Date.now() - Date.parse(task.started_at)) / 1000) })}` : "";
  const words = unknown ? t("writingStoryboard") : running ? t("taskPercent", { what, percent }) : t("taskLine", { what, status: label("status", task.status) });
  stage.textContent = words + since;
  Object.assign(stage.dataset, { status: task.status, kind: task.kind, stage: task.stage || "" });
  bar.dataset.status = task.status;
  bar.dataset.project = project.status;
  // Announced: a new stage or status, and each tenth of the way.
  const heard = `${task.status}|${stageName}|${Math.floor(percent / 10)}`;
  if (live.dataset.heard !== heard) {
    live.dataset.heard = heard;
    live.textContent = words;
  }
}
