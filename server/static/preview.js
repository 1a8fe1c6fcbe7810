// One shot on its own: its clip played with its narration (clips carry no sound: the narration
// plays beside it, kept in step), or its narration alone.

import { fileUrl } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

export async function playShot(shot, n) {
  const audio = shot.audio ? h("audio", { class: "shot-narration", preload: "auto", src: await fileUrl(shot.audio) }) : null;
  const picture = shot.clip
    ? h("video", { class: "shot-clip", controls: true, muted: true, playsinline: true, src: await fileUrl(shot.clip) })
    : h("img", { class: "shot-clip", alt: t("keyframeOf", { n }), src: await fileUrl(shot.keyframe) });
  const dialog = h("dialog", { class: "clip-dialog", "aria-label": t("playShot", { n }) }, h("h2", {}, t("playShot", { n })), picture, audio, h("form", { method: "dialog" }, h("button", {}, t("close"))));
  if (audio && picture.tagName === "VIDEO") {
    picture.muted = true;
    const follow = () => {
      if (Math.abs(audio.currentTime - picture.currentTime) > 0.25 && picture.currentTime <= (audio.duration || Infinity)) audio.currentTime = picture.currentTime;
    };
    picture.addEventListener("play", () => {
      follow();
      audio.play().catch(() => {});
    });
    picture.addEventListener("pause", () => audio.pause());
    picture.addEventListener("seeked", follow);
  } else if (audio) {
    audio.controls = true; // a keyframe and its narration: the audio's own controls play it
  }
  dialog.addEventListener("close", () => {
    audio && audio.pause();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  (picture.tagName === "VIDEO" ? picture : audio).play().catch(() => {});
}

// What is being listened to, by shot id: a card drawn again while its narration plays shows it playing.
const listening = new Map();

// A button that plays the shot's narration alone and stops it when pressed again.
export function listenButton(shot, n) {
  const button = h("button", { type: "button", dataset: { action: "listen" }, "aria-label": t("listenShot", { n }), title: t("listenShot", { n }), "aria-pressed": String(listening.has(shot.shot_id)) }, "♪");
  const stop = () => {
    const audio = listening.get(shot.shot_id);
    listening.delete(shot.shot_id);
    if (audio) audio.pause(), audio.remove();
    for (const one of document.querySelectorAll(`[data-shot="${CSS.escape(shot.shot_id)}"] [data-action=listen]`)) one.setAttribute("aria-pressed", "false");
  };
  button.addEventListener("click", async () => {
    if (listening.has(shot.shot_id)) return stop();
    // In the document (hidden), so whatever inspects the page sees what plays.
    const audio = h("audio", { class: "listening", hidden: true, dataset: { shot: shot.shot_id }, src: await fileUrl(shot.audio) });
    audio.addEventListener("ended", stop);
    listening.set(shot.shot_id, audio);
    document.body.append(audio);
    button.setAttribute("aria-pressed", "true");
    audio.play().catch(stop);
  });
  return button;
}
