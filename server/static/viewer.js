// The viewer beside the shots (sticky on a wide screen; on a phone at the top, with a button that
// brings it back in one tap): the task's progress, the film, "out of date" when the project changed
// since that render, the timeline in step with the film, every render playable, downloads named
// from the title. Subtitles show once: the caption track is off when the film has them burned in.

import { fileResponse, fileUrl, servedName, storedKey } from "./api.js";
import { fill, h } from "./dom.js";
import { lastEdited } from "./edits.js";
import { t } from "./i18n.js";
import { activityBar } from "./progress.js";
import { createTimeline } from "./timeline.js";
import { dateText, secondsText } from "./words.js";

const SKIP = 5; // seconds J and L go back and forward

export function createViewer(aside, view) {
  const { state } = view;
  const activity = activityBar();
  const jump = h("button", { type: "button", class: "jump-to-film", onclick: () => bringIntoView(aside) }, "▶ ", t("jumpToFilm"));
  const dock = h("div", { class: "dock" }, activity, jump);
  const screen = h("div", { class: "screen" });
  const note = h("p", { class: "out-of-date", id: "out-of-date", hidden: true });
  const downloads = h("div", { class: "row downloads" });
  const list = h("ol", { class: "renders", "aria-label": t("renders") });
  const timeline = createTimeline(view, (shotId) => seek(shotId));
  fill(aside, h("h2", { class: "visually-hidden" }, t("player")), dock, screen, note, timeline.element, downloads, h("details", { class: "render-list", open: true }, h("summary", {}, t("renders")), list));
  let chosen = null; // the render id the person picked; null: the latest
  let video = null;
  let starts = new Map();

  // The jump button shows only while the viewer is off screen (a phone's layout).
  const watcher = new IntersectionObserver(([entry]) => (jump.dataset.away = String(!entry.isIntersecting)), { threshold: 0.2 });
  watcher.observe(screen);

  const seek = (shotId) => {
    if (!video) return;
    const start = starts.get(shotId);
    if (start === undefined) return;
    video.currentTime = start + 0.01;
    timeline.highlight(shotId);
  };
  const follow = () => {
    let current = null;
    for (const [id, start] of starts) if (video.currentTime + 0.05 >= start) current = id;
    timeline.highlight(current);
    for (const card of document.querySelectorAll(".shot-card")) card.classList.toggle("playing", card.dataset.shot === current);
  };

  const draw = async () => {
    const { project } = state;
    timeline.draw();
    const renders = project.renders.filter((render) => render.video);
    if (!renders.length) {
      video = null;
      fill(screen, h("p", { class: "muted no-film" }, t("noRenders")));
      fill(downloads);
      fill(list);
      note.hidden = true;
      return;
    }
    const latest = renders.at(-1);
    const render = renders.find((one) => one.render_id === chosen) || latest;
    const n = renders.indexOf(render) + 1;
    // The film keeps playing across refreshes: a new element only for another render.
    if (!video || video.dataset.render !== render.render_id) {
      video = h("video", { id: "film", controls: true, preload: "auto", playsinline: true, dataset: { render: render.render_id }, "aria-label": t("renderN", { n }) });
      video.addEventListener("timeupdate", follow);
      video.addEventListener("loadedmetadata", () => (starts = timeline.starts(render, video.duration)));
      video.src = await fileUrl(render.video);
      await addSubtitles(video, render, project);
      fill(screen, video, h("p", { class: "muted keys" }, t("playerKeys")));
    }
    starts = timeline.starts(render, Number.isFinite(video.duration) ? video.duration : render.duration);
    const stale = render === latest ? outOfDate(project, render) : false;
    note.hidden = !(stale || render !== latest);
    note.textContent = render !== latest ? t("earlierRender") : stale ? t("outOfDate") : "";
    note.dataset.kind = render !== latest ? "earlier" : "stale";
    drawDownloads(downloads, project, render, n, render === latest);
    fill(
      list,
      [...renders].reverse().map((one) => {
        const number = renders.indexOf(one) + 1;
        const playing = one === render;
        return h(
          "li",
          { dataset: { render: one.render_id } },
          h(
            "button",
            { type: "button", "aria-current": playing ? "true" : null, "aria-label": t("playRender", { n: number }), onclick: () => ((chosen = one === latest ? null : one.render_id), draw()) },
            h("strong", {}, t("renderN", { n: number })),
            " ",
            t("renderLine", { date: dateText(one.created_at), duration: secondsText(one.duration) }),
            playing ? h("span", { class: "badge ok" }, t("nowPlaying")) : null,
          ),
        );
      }),
    );
  };

  // J, K, L and space, when the page has a film: true when the key was used.
  const keys = (key) => {
    if (!video) return false;
    if (key === "k" || key === " ") video.paused ? video.play().catch(() => {}) : video.pause();
    if (key === "j") video.currentTime = Math.max(0, video.currentTime - SKIP);
    if (key === "l") video.currentTime = Math.min(video.duration || Infinity, video.currentTime + SKIP);
    return true;
  };
  const leave = () => {
    watcher.disconnect();
    video && video.pause();
  };
  return { activity, draw, keys, leave };
}

function bringIntoView(aside) {
  aside.scrollIntoView({ behavior: "instant", block: "start" });
  (aside.querySelector("#film") || aside).focus({ preventScroll: true });
}

// Whether the project changed since `render`: a shot with something to make again, or (when the
// render lists what it showed) another order or take; else an edit made from this browser since.
export function outOfDate(project, render) {
  if (project.shots.some((shot) => shot.stale.length)) return true;
  if (Array.isArray(render.shots)) {
    const now = project.shots.map((shot) => `${shot.shot_id}/${shot.take_id}`).join(",");
    return now !== render.shots.map((shot) => `${shot.shot_id}/${shot.take_id}`).join(",");
  }
  const edited = lastEdited(project.project_id);
  return Boolean(edited) && Date.parse(edited) > Date.parse(render.created_at);
}

// Burned-in subtitles (the render says so, else the project's option) keep the track off; a soft
// render shows it. The track is there either way, for whoever switches captions on.
export function burnedIn(render, project) {
  const mode = render.subtitles_mode ?? project.options.subtitles;
  return mode === true || mode === "burn" || mode === "both";
}

async function addSubtitles(video, render, project) {
  if (!render.subtitles_vtt) return;
  const track = h("track", { kind: "subtitles", src: await fileUrl(render.subtitles_vtt), srclang: project.language === "zh" ? "zh" : "en", label: t("subtitlesTrack") });
  video.append(track);
  track.track.mode = burnedIn(render, project) ? "disabled" : "showing";
}

// A file name from the project's title (letters of any script kept; what file systems refuse, not).
export function fileBase(project) {
  const name = (project.title || project.story.slice(0, 40) || "story2video")
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ")
    .trim()
    .replace(/\s+/g, "-")
    .slice(0, 80);
  return name || "story2video";
}

function drawDownloads(box, project, render, n, latest) {
  const base = latest ? fileBase(project) : `${fileBase(project)}-${n}`;
  // With keys on, a file is fetched with the key when its link is first used, then saved from memory.
  // A link with no name (an export) keeps the name the server gives it.
  const link = (path, name, text, id) => {
    const anchor = h("a", { class: "button", id, download: name, href: path }, text);
    anchor.addEventListener("click", async (event) => {
      if (!storedKey() || anchor.href.startsWith("blob:")) return;
      event.preventDefault();
      if (name) {
        anchor.href = await fileUrl(path);
      } else {
        const answer = await fileResponse(path);
        anchor.download = servedName(answer);
        anchor.href = URL.createObjectURL(await answer.blob());
      }
      anchor.click();
    });
    return anchor;
  };
  fill(
    box,
    link(render.video, `${base}.mp4`, t("downloadVideo"), "download-video"),
    render.subtitles ? link(render.subtitles, `${base}.srt`, t("downloadSubtitles"), "download-subtitles") : null,
    link(`/tasks/${render.task_id}/archive`, `${base}.zip`, t("archive"), "download-archive"),
    exportMenu(project, render, link),
  );
}

// The render as an editor's timeline with its media (built by the server on the first request).
const EXPORTS = ["otioz", "fcp7xml", "fcpxml", "edl", "jianying"];

function exportMenu(project, render, link) {
  const path = (format) => `/projects/${project.project_id}/renders/${render.render_id}/export?format=${format}`;
  return h(
    "details",
    { class: "export-menu", id: "export-menu" },
    h("summary", { class: "button" }, t("exportTo")),
    h(
      "ul",
      { "aria-label": t("exportTo") },
      EXPORTS.map((format) =>
        h("li", {}, link(path(format), "", t(`export_${format}`), `export-${format}`)),
      ),
    ),
  );
}
