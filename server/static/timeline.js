// The timeline: one item per shot in story order, as wide as the shot is long (its set duration,
// else its clip's length, else an estimate from its narration, drawn dashed), the transition into
// the next shot marked at its edge. Click or Enter jumps the film there; drag (or Alt+arrows)
// moves a shot; drag its right edge (or Shift+arrows) trims it, which sets its duration.

import { fileBlob } from "./api.js";
import { attempt, h } from "./dom.js";
import { t } from "./i18n.js";
import { label, secondsText } from "./words.js";

const MIN = 0.5;
const MAX = 30;
const STEP = 0.5; // a keyboard trim
const made = new Map(); // clip path -> its length in seconds, read from the file's metadata
const SPEECH_RATE = { zh: 4.5, en: 15 }; // characters a second, for shots not made yet

export function createTimeline(view, onSeek) {
  const help = h("p", { class: "visually-hidden", id: "timeline-help" }, t("timelineHelp"));
  const track = h("ol", { class: "timeline-track", "aria-describedby": "timeline-help" });
  const element = h("section", { class: "timeline", role: "region", "aria-label": t("timeline") }, h("h3", { class: "timeline-title" }, t("timeline")), help, track);
  let lengths = [];
  let focusId = null; // the item that takes the one tab stop (roving tabindex)
  let gesture = false; // a drag in progress: a refresh waits for its end (it would drop the dragged item)
  let waiting = false;

  const lengthOf = (shot) => {
    if (shot.duration) return { seconds: shot.duration, estimated: false };
    const take = shot.takes.find((one) => one.take_id === shot.take_id);
    const known = (take && take.duration) || (shot.clip && made.get(shot.clip));
    if (known) return { seconds: known, estimated: false };
    if (shot.clip) measure(shot.clip, () => draw());
    const rate = /[\u3400-\u9fff]/.test(shot.narration) ? SPEECH_RATE.zh : SPEECH_RATE.en;
    return { seconds: Math.min(MAX, Math.max(2, [...shot.narration].length / rate)), estimated: true };
  };

  const draw = () => {
    if (gesture) return void (waiting = true);
    const { project, busy } = view.state;
    lengths = project.shots.map((shot) => ({ shot, ...lengthOf(shot) }));
    if (!lengths.some((one) => one.shot.shot_id === focusId)) focusId = lengths[0] && lengths[0].shot.shot_id;
    const hadFocus = track.contains(document.activeElement) ? document.activeElement.closest("[data-shot]")?.dataset.shot : null;
    const total = lengths.reduce((sum, one) => sum + one.seconds, 0) || 1;
    track.style.minWidth = `${Math.round(total * 6)}px`; // long films scroll inside the timeline, not the page
    track.replaceChildren(
      ...lengths.map(({ shot, seconds, estimated }, index) => {
        const n = index + 1;
        const transition = index < lengths.length - 1 ? shot.transition || (project.options.video || {}).transition || "crossfade" : null;
        const name = t("timelineItem", { n, title: shot.title || t("newShot"), duration: secondsText(seconds) + (estimated ? ` (${t("estimated")})` : "") });
        const item = h(
          "li",
          {
            class: `timeline-item${estimated ? " estimated" : ""}`,
            style: `flex-grow: ${seconds}`,
            tabindex: shot.shot_id === focusId ? "0" : "-1",
            role: "button",
            "aria-label": name,
            title: name,
            "aria-disabled": busy ? "true" : null,
            dataset: { shot: shot.shot_id, action: "timeline", seconds: String(seconds) },
          },
          h("span", { class: "timeline-number" }, String(n)),
          h("span", { class: "timeline-name" }, shot.title || t("newShot")),
          transition ? h("span", { class: `timeline-transition ${transition}`, title: label("transition", transition), "aria-hidden": "true" }, transition === "none" ? "|" : "⋈") : null,
          busy ? null : h("span", { class: "trim-handle", "aria-hidden": "true", title: t("trimShot", { n }) }),
        );
        item.addEventListener("pointerdown", (event) => pointer(event, item, shot, index, seconds));
        item.addEventListener("keydown", (event) => key(event, shot, index, seconds));
        item.addEventListener("focus", () => (focusId = shot.shot_id));
        return item;
      }),
    );
    if (hadFocus) track.querySelector(`[data-shot="${CSS.escape(hadFocus)}"]`)?.focus();
  };

  const trim = (shot, seconds) => {
    const duration = Math.round(Math.min(MAX, Math.max(MIN, seconds)) * 10) / 10;
    if (duration !== shot.duration) return guard(() => view.edits.patch(shot, { duration }, { shot: shot.shot_id, action: "timeline" }));
  };
  const move = (shot, to) => {
    if (to >= 0 && to < lengths.length) return guard(() => view.edits.move(shot, to));
  };
  const guard = (action) => attempt(view, action);

  const key = (event, shot, index, seconds) => {
    const items = [...track.children];
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1 }[event.key];
    const editing = !view.state.busy;
    if (step && event.altKey && editing) move(shot, index + step);
    else if (step && event.shiftKey && editing) trim(shot, seconds + step * STEP);
    else if (step) items[index + step]?.focus();
    else if (event.key === "Home") items[0].focus();
    else if (event.key === "End") items.at(-1).focus();
    else if (event.key === "Enter" || event.key === " ") onSeek(shot.shot_id);
    else return;
    event.preventDefault();
  };

  // One gesture: a click jumps, a drag of the item moves the shot, a drag of its edge trims it.
  const pointer = (event, item, shot, index, seconds) => {
    if (event.button !== 0) return;
    item.focus();
    const trimming = event.target.classList.contains("trim-handle");
    const startX = event.clientX;
    const perSecond = track.getBoundingClientRect().width / lengths.reduce((sum, one) => sum + one.seconds, 0);
    let dragged = false;
    let target = index;
    gesture = true;
    item.setPointerCapture(event.pointerId);
    const moveWith = (moved) => {
      const dx = moved.clientX - startX;
      if (!dragged && Math.abs(dx) < 5) return;
      if (view.state.busy) return;
      dragged = true;
      if (trimming) {
        item.style.flexGrow = String(Math.min(MAX, Math.max(MIN, seconds + dx / perSecond)));
        return;
      }
      item.classList.add("dragging");
      item.style.transform = `translateX(${dx}px)`;
      const middles = [...track.children].map((one) => one.getBoundingClientRect()).map((box) => box.left + box.width / 2);
      target = middles.filter((middle, i) => i !== index && middle < moved.clientX).length;
      track.dataset.dropAt = String(target);
    };
    const end = (ended) => {
      item.removeEventListener("pointermove", moveWith);
      item.removeEventListener("pointerup", end);
      item.removeEventListener("pointercancel", end);
      item.classList.remove("dragging");
      item.style.transform = "";
      delete track.dataset.dropAt;
      gesture = false;
      if (waiting) (waiting = false), draw();
      if (ended.type === "pointercancel") return draw();
      if (!dragged) return onSeek(shot.shot_id);
      if (trimming) return trim(shot, Number(item.style.flexGrow));
      if (target !== index) return move(shot, target);
      draw();
    };
    item.addEventListener("pointermove", moveWith);
    item.addEventListener("pointerup", end);
    item.addEventListener("pointercancel", end);
    event.preventDefault();
  };

  // Where each shot starts in a film of `filmSeconds`: the lengths less the transitions' overlaps,
  // scaled to the film (a render that lists its shots' starts is taken as it is).
  const starts = (render, filmSeconds) => {
    if (render && Array.isArray(render.shots) && render.shots.every((one) => one.start !== undefined)) {
      return new Map(render.shots.map((one) => [one.shot_id, one.start]));
    }
    const { project } = view.state;
    const overlap = (project.options.video || {}).transition_duration ?? 0.5;
    const map = new Map();
    let cursor = 0;
    lengths.forEach(({ shot, seconds }, index) => {
      map.set(shot.shot_id, cursor);
      const last = index === lengths.length - 1;
      const transition = shot.transition || (project.options.video || {}).transition || "crossfade";
      cursor += seconds - (last || transition === "none" ? 0 : overlap);
    });
    const scale = filmSeconds && cursor ? filmSeconds / cursor : 1;
    for (const [id, start] of map) map.set(id, start * scale);
    return map;
  };

  const highlight = (shotId) => {
    for (const item of track.children) item.classList.toggle("playing", item.dataset.shot === shotId);
  };
  return { element, draw, starts, highlight };
}

// A clip's length, read from its mp4 header (the movie header box's duration over its timescale),
// as the API does not list it yet; `then` redraws once known.
function measure(path, then) {
  if (made.has(path)) return;
  made.set(path, null);
  fileBlob(path)
    .then((blob) => blob.arrayBuffer())
    .then((buffer) => {
      const seconds = mp4Seconds(new DataView(buffer));
      if (seconds) {
        made.set(path, seconds);
        then();
      }
    })
    .catch(() => {});
}

function mp4Seconds(view) {
  for (let i = 4; i + 32 <= view.byteLength; i++) {
    // "mvhd" as four ASCII bytes
    if (view.getUint32(i) !== 0x6d766864) continue;
    const version = view.getUint8(i + 4);
    const timescale = view.getUint32(version === 1 ? i + 24 : i + 16);
    const duration = version === 1 ? Number(view.getBigUint64(i + 28)) : view.getUint32(i + 20);
    return timescale ? duration / timescale : null;
  }
  return null;
}
