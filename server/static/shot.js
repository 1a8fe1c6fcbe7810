// The shot editor: every editable field, own keyframe or narration audio, regenerate, takes.

import { api, fileUrl } from "./api.js";
import { clearErrors, field, h, select, showError, toast, when } from "./dom.js";
import { t } from "./i18n.js";

const CAMERAS = ["static", "pan_left", "pan_right", "push_in", "pull_out", "tilt_up", "tilt_down", "orbit"];
const MOTIONS = ["", "i2v", "kenburns", "static"];
const TRANSITIONS = ["", "crossfade", "fade", "fadeblack", "fadewhite", "dissolve", "wipeleft", "wiperight", "slideleft", "slideright", "none"];

export function editShot(project, shot, refresh) {
  const path = `/projects/${project.project_id}/shots/${shot.shot_id}`;
  const controls = {
    title: h("input", { type: "text", value: shot.title }),
    prompt: h("textarea", { rows: 3 }, shot.prompt),
    negative_prompt: h("textarea", { rows: 2 }, shot.negative_prompt),
    narration: h("textarea", { rows: 4 }, shot.narration),
    camera: select(CAMERAS.map((c) => [c, c]), shot.camera),
    duration: h("input", { type: "number", min: 0.5, max: 30, step: 0.1, value: shot.duration ?? "", placeholder: "auto" }),
    motion: select(MOTIONS.map((m) => [m, m || t("default")]), shot.motion || ""),
    transition: select(TRANSITIONS.map((m) => [m, m || t("default")]), shot.transition || ""),
    voice: h("input", { type: "text", value: shot.voice ?? "", placeholder: t("default") }),
    keyframe: h("input", { type: "file", accept: "image/png,image/jpeg,image/webp" }),
    audio: h("input", { type: "file", accept: "audio/*" }),
    speakers: h("input", { type: "text", value: shot.speakers.join(", "), placeholder: t("speakersHint") }),
  };
  // The cast's names, and any name the shot still has that the cast no longer lists (so none is dropped unseen).
  const names = [...new Set([...(project.characters || []).map((person) => person.name), ...shot.characters])];
  const present = names.map((name) => h("input", { type: "checkbox", value: name, checked: shot.characters.includes(name) }));
  const form = h("form", { class: "stack shot-editor", novalidate: true });
  const dialog = h("dialog", { class: "editor", "aria-label": `${t("edit")} ${shot.shot_id}` }, form);
  const done = async () => {
    dialog.close();
    await refresh();
  };
  const save = async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const body = {
        title: controls.title.value,
        prompt: controls.prompt.value,
        negative_prompt: controls.negative_prompt.value,
        narration: controls.narration.value,
        camera: controls.camera.value,
        duration: controls.duration.value === "" ? null : Number(controls.duration.value),
        motion: controls.motion.value || null,
        transition: controls.transition.value || null,
        voice: controls.voice.value || null,
        characters: present.filter((box) => box.checked).map((box) => box.value),
        speakers: controls.speakers.value.split(/[,，]/).map((name) => name.trim()).filter(Boolean),
      };
      for (const name of ["keyframe", "audio"]) {
        const file = controls[name].files[0];
        if (file) body[name] = (await api.upload(file).catch((error) => Promise.reject({ field: name, message: error.message }))).url;
      }
      await api.patch(path, body);
      await done();
    } catch (error) {
      showError(form, error);
    }
  };
  const regenerate = (what) => async () => {
    try {
      await api.post(`${path}/regenerate`, { what });
      await done();
    } catch (error) {
      showError(form, error);
    }
  };
  const choose = (take) => async () => {
    try {
      await api.post(`${path}/takes/${take.take_id}/select`);
      await done();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  const takes = h(
    "ul",
    { class: "takes" },
    shot.takes.map((take) => {
      const image = h("img", { class: "take-thumb", alt: `${t("takes")} ${take.take_id}` });
      if (take.keyframe) fileUrl(take.keyframe).then((url) => (image.src = url)).catch(() => {});
      const current = take.take_id === shot.take_id;
      return h("li", { dataset: { take: take.take_id } }, image, h("span", {}, when(take.created_at)), current ? h("strong", {}, t("selected")) : h("button", { type: "button", onclick: choose(take) }, t("select")));
    }),
  );
  form.addEventListener("submit", save);
  form.append(
    h("h2", {}, `${t("edit")}: ${shot.title || shot.shot_id}`),
    h("p", { class: "form-error", role: "alert" }),
    field(t("title"), controls.title, "title"),
    field(t("prompt"), controls.prompt, "prompt"),
    field(t("negativePrompt"), controls.negative_prompt, "negative_prompt"),
    field(t("narration"), controls.narration, "narration"),
    h(
      "fieldset",
      { class: "field shot-characters", dataset: { field: "characters" } },
      h("legend", {}, t("inThisShot")),
      names.length ? present.map((box, i) => h("label", { class: "check" }, box, ` ${names[i]}`)) : h("p", { class: "muted" }, t("castNone")),
      h("p", { class: "field-error", role: "alert" }),
    ),
    field(t("speakers"), controls.speakers, "speakers"),
    h("div", { class: "grid-fields" }, field(t("camera"), controls.camera, "camera"), field(t("duration"), controls.duration, "duration"), field(t("motion"), controls.motion, "motion"), field(t("transition"), controls.transition, "transition"), field(t("voice"), controls.voice, "voice")),
    field(t("ownKeyframe"), controls.keyframe, "keyframe"),
    field(t("ownAudio"), controls.audio, "audio"),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("save")), h("button", { type: "button", onclick: () => dialog.close() }, t("close"))),
    h("h3", {}, t("regenerate")),
    h("div", { class: "row" }, ...["keyframe", "narration", "clip"].map((what) => h("button", { type: "button", dataset: { regenerate: what }, onclick: regenerate([what]) }, `${t("regenerate")} ${t(what)}`))),
    h("h3", {}, t("takes")),
    takes,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
