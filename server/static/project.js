// One project: its shots as cards that fill in live, the task's progress and controls, the cast,
// the player with its renders. Editing a shot opens shot.js's editor.

import { api, events, fileUrl } from "./api.js";
import { badge, fill, h, seconds, select, staleBadges, toast, when } from "./dom.js";
import { castPanel } from "./cast.js";
import { t } from "./i18n.js";
import { editShot } from "./shot.js";

const UNTIL = ["video", "clips", "narration", "keyframes"];

export async function projectView(main, projectId) {
  const state = { project: null, task: null, refreshing: null };
  const header = h("section", { class: "project-header" });
  const grid = h("ol", { class: "shot-grid", "aria-label": t("shots") });
  const cast = h("section", { class: "cast" });
  const player = h("section", { class: "player" });
  fill(main, header, h("h2", {}, t("shots")), grid, cast, player);
  const drawCast = castPanel(cast, projectId, () => refresh());

  const refresh = async () => {
    state.project = await api.get(`/projects/${projectId}`);
    // The task may have been deleted since (DELETE /tasks/<id>): the project stands without it.
    state.task = state.project.task_id ? await api.get(`/tasks/${state.project.task_id}`).catch(() => null) : null;
    drawHeader(header, state, refresh);
    drawShots(grid, state, refresh);
    await drawCast(state.project);
    await drawPlayer(player, state.project);
  };
  // Events come in bursts (a shot's three files, progress): one refresh per burst is enough.
  const soon = () => {
    if (!state.refreshing) state.refreshing = setTimeout(() => refresh().finally(() => (state.refreshing = null)), 250);
  };
  await refresh();
  const close = events((event) => {
    if (event.project_id !== projectId && event.task_id !== state.project.task_id) return;
    if (event.event === "progress" && state.task) {
      state.task.progress = event.data.progress;
      drawProgress(header, state.task);
    } else soon();
  }, soon);
  // A slow look while a task works, in case the stream dropped an event in between.
  const poll = setInterval(() => state.task && ["pending", "running"].includes(state.task.status) && soon(), 3000);
  return () => {
    clearInterval(poll);
    close();
  };
}

function drawHeader(header, state, refresh) {
  const { project, task } = state;
  const busy = task && ["pending", "running"].includes(task.status);
  const until = select(UNTIL.map((name) => [name, name]), "video");
  until.id = "render-until";
  const act = (path, body) => async () => {
    try {
      await api.post(path, body);
      await refresh();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  fill(header, 
    h("h1", {}, project.title || project.story.slice(0, 60) || project.project_id),
    h("p", { class: "muted" }, `${t("status")}: `, h("span", { id: "project-status" }, project.status), ` · ${t("created")}: ${when(project.created_at)}`),
    h("div", { class: "progress-box" }, h("progress", { id: "task-progress", max: 1, value: task ? task.progress : 0, "aria-label": t("progress") }), h("span", { id: "task-stage" }, task ? `${task.kind} · ${task.stage || ""} · ${task.status}` : "")),
    task ? h("ul", { class: "stages" }, task.stages.map((stage) => h("li", { class: stage.status }, `${stage.name} ${Math.round(stage.progress * 100)}%`))) : null,
    h(
      "div",
      { class: "row" },
      h("label", { for: "render-until" }, t("until")),
      until,
      h("button", { type: "button", class: "primary", id: "render-button", disabled: busy, onclick: () => act(`/projects/${project.project_id}/render`, { until: until.value })() }, t("render")),
      task && task.status === "running" ? h("button", { type: "button", onclick: act(`/tasks/${task.task_id}/pause`) }, t("pause")) : null,
      task && task.status === "paused" ? h("button", { type: "button", onclick: act(`/tasks/${task.task_id}/resume`) }, t("resume")) : null,
      busy || (task && task.status === "paused") ? h("button", { type: "button", onclick: act(`/tasks/${task.task_id}/cancel`) }, t("cancel")) : null,
    ),
    task && task.warnings.length ? h("div", { class: "warnings", role: "status" }, h("h3", {}, t("warnings")), h("ul", {}, task.warnings.map((w) => h("li", {}, w)))) : null,
    project.error || (task && task.error && task.status === "error") ? h("p", { class: "error", role: "alert" }, `${t("error")}: ${(project.error || task.error).message}`) : null,
  );
}

function drawProgress(header, task) {
  const bar = header.querySelector("#task-progress");
  if (bar) bar.value = task.progress;
}

function drawShots(grid, state, refresh) {
  const { project, task } = state;
  const busy = task && ["pending", "running"].includes(task.status);
  const path = `/projects/${project.project_id}/shots`;
  const run = (action) => async () => {
    try {
      await action();
      await refresh();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  fill(grid, 
    ...project.shots.map((shot, index) => {
      const thumb = h("img", { class: "thumb", alt: `${t("keyframe")} ${index + 1}` });
      if (shot.keyframe) fileUrl(shot.keyframe).then((url) => (thumb.src = url)).catch(() => {});
      const clip = shot.clip ? h("button", { type: "button", onclick: () => playClip(shot) }, `${t("play")} ${t("clip")}`) : null;
      return h(
        "li",
        { class: "card shot-card", dataset: { shot: shot.shot_id, take: shot.take_id || "" } },
        shot.keyframe ? thumb : h("div", { class: "thumb empty" }),
        h("h3", {}, `${index + 1}. ${shot.title || shot.shot_id}`),
        h("p", { class: "narration" }, shot.narration),
        h("p", { class: "muted" }, `${t("camera")}: ${shot.camera} · ${t("duration")}: ${shot.duration ? seconds(shot.duration) : "auto"}`),
        shot.characters.length ? h("p", { class: "muted shot-cast" }, `${t("cast")}: ${shot.characters.join(", ")}`) : null,
        h("div", { class: "badges" }, staleBadges(shot.stale), shot.audio ? badge(t("narration"), "ok") : null, shot.clip ? badge(t("clip"), "ok") : null),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", disabled: busy, onclick: () => editShot(project, shot, refresh) }, t("edit")),
          clip,
          h("button", { type: "button", disabled: busy || index === 0, "aria-label": `${t("moveUp")} ${index + 1}`, onclick: run(() => api.patch(`${path}/${shot.shot_id}`, { index: index - 1 })) }, "↑"),
          h("button", { type: "button", disabled: busy || index === project.shots.length - 1, "aria-label": `${t("moveDown")} ${index + 1}`, onclick: run(() => api.patch(`${path}/${shot.shot_id}`, { index: index + 1 })) }, "↓"),
          h("button", { type: "button", disabled: busy, "aria-label": `${t("insertAfter")} ${index + 1}`, onclick: run(() => api.post(path, { after: shot.shot_id, prompt: shot.prompt, narration: "" })) }, "+"),
          h("button", { type: "button", disabled: busy || project.shots.length === 1, "aria-label": `${t("delete")} ${index + 1}`, onclick: run(() => confirm(t("delete") + "?") && api.del(`${path}/${shot.shot_id}`)) }, "×"),
        ),
      );
    }),
  );
}

async function playClip(shot) {
  const video = h("video", { controls: true, autoplay: true, src: await fileUrl(shot.clip) });
  const dialog = h("dialog", { class: "clip-dialog" }, video, h("form", { method: "dialog" }, h("button", {}, t("close"))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function drawPlayer(player, project) {
  const last = project.renders.at(-1);
  if (!last) {
    fill(player, h("h2", {}, t("renders")), h("p", { class: "muted" }, t("noRenders")));
    return;
  }
  // The film keeps playing across refreshes: a new element only for a new render.
  const playing = player.querySelector("#film");
  const video = playing && playing.dataset.render === last.render_id ? playing : h("video", { id: "film", controls: true, preload: "auto", dataset: { render: last.render_id }, src: await fileUrl(last.video) });
  const vtt = last.subtitles_vtt || null;
  if (vtt && video !== playing) video.append(h("track", { kind: "subtitles", default: true, src: await fileUrl(vtt), srclang: project.language === "zh" ? "zh" : "en", label: t("subtitles") }));
  const download = async (path, name) => {
    const link = h("a", { href: await fileUrl(path), download: name });
    link.click();
  };
  fill(player, 
    h("h2", {}, t("renders")),
    video,
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", onclick: () => download(last.video, `${project.project_id}.mp4`) }, `${t("download")} mp4`),
      last.subtitles ? h("button", { type: "button", onclick: () => download(last.subtitles, `${project.project_id}.srt`) }, `${t("download")} srt`) : null,
      h("button", { type: "button", onclick: () => download(`/tasks/${last.task_id}/archive`, `${project.project_id}.zip`) }, t("archive")),
    ),
    h(
      "ol",
      { class: "renders", reversed: true },
      [...project.renders].reverse().map((render) => h("li", {}, `${when(render.created_at)} · ${seconds(render.duration)} · ${t("shotsMade")}: ${render.shots_made.join(", ") || t("none")}`)),
    ),
  );
}
