// The shot editor: its fields with their limits, own keyframe (shown at once) or narration audio,
// "make again" (which saves the form first), takes side by side. Nothing typed is lost: closing
// with changes asks, Ctrl+S saves, and a write over someone else's change (412) asks which to keep.

import { api, fileUrl } from "./api.js";
import { ask, clearErrors, field, fill, h, showError, toastError } from "./dom.js";
import { labelled, t } from "./i18n.js";
import { rule } from "./limits.js";
import { voiceControl } from "./system.js";
import { takesList } from "./takes.js";
import { label } from "./words.js";

export const CAMERAS = ["static", "pan_left", "pan_right", "push_in", "pull_out", "tilt_up", "tilt_down", "orbit"];
const MOTIONS = ["i2v", "kenburns", "static"];
const TRANSITIONS = ["crossfade", "fade", "fadeblack", "fadewhite", "dissolve", "wipeleft", "wiperight", "slideleft", "slideright", "none"];
const LIMITS = "ProjectShotUpdate";
// Suggestions for how a line is spoken: the storyboard LLM's words (pipelines/storyboard.py EMOTIONS),
// offered in the page's language and written into the field as shown (the engine reads free text).
const EMOTIONS = ["calm", "warm", "tender", "joyful", "excited", "sad", "solemn", "mysterious", "tense", "fearful", "angry", "whispering"];

// A select of `group`'s values ("motion", "transition") with the project's default first.
function choices(group, values, current, defaultLabel) {
  const options = [["", defaultLabel], ...values.map((value) => [value, label(group, value)])];
  return h("select", {}, options.map(([value, text]) => h("option", { value, selected: value === (current || "") }, text)));
}

export function editShot(view, shot, options = {}) {
  const { state, edits } = view;
  const { project } = state;
  const n = edits.number(shot.shot_id);
  const tag = shot.etag ?? null; // what this form was opened on: a write over a newer state is a 412
  const video = project.options.video || {};
  const motions = MOTIONS.filter((m) => m !== "i2v" || state.system.animates || shot.motion === "i2v");
  const controls = {
    title: h("input", { type: "text", value: shot.title }),
    prompt: h("textarea", { rows: 3 }, shot.prompt),
    negative_prompt: h("textarea", { rows: 2 }, shot.negative_prompt),
    narration: h("textarea", { rows: 4 }, shot.narration),
    emotion: h("input", { type: "text", value: shot.emotion ?? "", list: "emotion-suggestions", maxlength: rule(LIMITS, "emotion").maxLength }),
    camera: h("select", {}, CAMERAS.map((c) => h("option", { value: c, selected: c === shot.camera }, label("camera", c)))),
    duration: h("input", { type: "number", min: 0.5, max: 30, step: 0.1, value: shot.duration ?? "", placeholder: t("auto") }),
    motion: choices("motion", motions, shot.motion, t("projectDefault", { value: label("motion", video.motion || "i2v") })),
    transition: choices("transition", rule("RenderVideo", "transition").enum || TRANSITIONS, shot.transition, t("projectDefault", { value: label("transition", video.transition || "crossfade") })),
    voice: voiceControl(state.system.voices, shot.voice),
    speakers: h("input", { type: "text", value: shot.speakers.join(", "), placeholder: t("speakersHint") }),
  };
  const files = {
    keyframe: h("input", { type: "file", accept: "image/png,image/jpeg,image/webp" }),
    audio: h("input", { type: "file", accept: "audio/*" }),
  };
  const ownPreview = h("img", { class: "own-preview", alt: t("yourPicture"), hidden: true });
  let chosenUrl = null;
  files.keyframe.addEventListener("change", () => {
    const file = files.keyframe.files[0];
    ownPreview.hidden = !file;
    if (chosenUrl) URL.revokeObjectURL(chosenUrl);
    chosenUrl = file ? URL.createObjectURL(file) : null;
    if (chosenUrl) ownPreview.src = chosenUrl; // shown at once, before anything is sent
  });
  // The cast's names, and any name the shot still has that the cast no longer lists (none dropped unseen).
  const names = [...new Set([...(project.characters || []).map((person) => person.name), ...shot.characters])];
  const present = names.map((name) => h("input", { type: "checkbox", value: name, checked: shot.characters.includes(name) }));

  const values = () => ({
    title: controls.title.value,
    prompt: controls.prompt.value,
    negative_prompt: controls.negative_prompt.value,
    narration: controls.narration.value,
    emotion: controls.emotion.value.trim() || null,
    camera: controls.camera.value,
    duration: controls.duration.value === "" ? null : Number(controls.duration.value),
    motion: controls.motion.value || null,
    transition: controls.transition.value || null,
    voice: controls.voice.value || null,
    characters: present.filter((box) => box.checked).map((box) => box.value),
    speakers: controls.speakers.value.split(/[,，、]/).map((name) => name.trim()).filter(Boolean),
  });
  const opened = JSON.stringify(values());
  const changes = () => {
    const now = values();
    const was = JSON.parse(opened);
    return Object.fromEntries(Object.entries(now).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(was[key])));
  };
  const dirty = () => Object.keys(changes()).length > 0 || Boolean(files.keyframe.files[0] || files.audio.files[0]);

  const form = h("form", { class: "shot-editor", novalidate: true });
  const dialog = h("dialog", { class: "editor", "aria-labelledby": "editor-title" }, form);
  const close = (focusCard = true) => {
    dialog.close();
    if (focusCard) document.querySelector(`[data-shot="${CSS.escape(view.history.ids.now(shot.shot_id))}"] [data-action="edit"]`)?.focus();
  };

  // Saves what changed; true when saved (or nothing to save), false when it stays open.
  const save = async (over = tag) => {
    clearErrors(form);
    try {
      const body = changes();
      for (const name of ["keyframe", "audio"]) {
        const file = files[name].files[0];
        if (file) body[name] = (await api.upload(file).catch((error) => Promise.reject(Object.assign(error, { field: name })))).url;
      }
      if (!Object.keys(body).length) return true;
      if (body.keyframe) (state.ownPictures ||= new Map()).set(shot.shot_id, body.keyframe);
      await edits.patch(shot, body, { shot: shot.shot_id, action: "edit" }, over);
      return true;
    } catch (error) {
      if (error.status === 412) return conflict(error);
      showError(form, error);
      return false;
    }
  };
  const conflict = async (error) => {
    const choice = await ask(t("conflictTitle"), t("conflictText", { what: t("shotN", { n }) }), [
      ["overwrite", t("overwrite"), true],
      ["reload", t("reloadTheirs")],
      ["keep", t("keepEditing")],
    ]);
    if (choice === "overwrite") return save(error.tag); // the tag of what is there now: this write goes over it
    if (choice === "reload") {
      close(false);
      await view.refresh();
      const fresh = state.project.shots.find((one) => one.shot_id === shot.shot_id);
      if (fresh) view.openEditor(fresh);
    }
    return false;
  };
  const saveAndClose = async () => {
    if (await save()) close();
  };
  // Closing with unsaved changes asks; Escape too.
  const leave = async () => {
    if (!dirty()) return close();
    const choice = await ask(t("unsavedTitle", { n }), t("unsavedText"), [
      ["save", t("saveChanges"), true],
      ["discard", t("discard")],
      ["keep", t("keepEditing")],
    ]);
    if (choice === "save") await saveAndClose();
    else if (choice === "discard") close();
  };
  const regenerate = (what) => async () => {
    if (!(await save())) return; // the new take is drawn from what the form says now
    try {
      await edits.regenerate(state.project.shots.find((one) => one.shot_id === view.history.ids.now(shot.shot_id)) || shot, [what]);
      close();
    } catch (error) {
      showError(form, error);
    }
  };
  const pick = async (take) => {
    if (dirty()) {
      const choice = await ask(t("unsavedTitle", { n }), t("unsavedText"), [["save", t("saveChanges"), true], ["discard", t("discard")], ["keep", t("keepEditing")]]);
      if (choice === "keep" || choice === null || (choice === "save" && !(await save()))) return;
    }
    try {
      await edits.selectTake(state.project.shots.find((one) => one.shot_id === shot.shot_id) || shot, take.take_id);
      close(false);
      const fresh = state.project.shots.find((one) => one.shot_id === shot.shot_id);
      if (fresh) view.openEditor(fresh, { focusTake: take.take_id });
    } catch (error) {
      toastError(error);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveAndClose();
  });
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    leave();
  });
  dialog.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      saveAndClose();
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (chosenUrl) URL.revokeObjectURL(chosenUrl);
  });

  const current = shot.own_keyframe || (state.ownPictures && shot.stale.includes("keyframe") ? state.ownPictures.get(shot.shot_id) : null);
  if (current) fileUrl(current).then((url) => ((ownPreview.src = url), (ownPreview.hidden = false))).catch(() => {});
  fill(
    form,
    h("header", { class: "editor-head" }, h("h2", { id: "editor-title" }, `${labelled(t("editShot", { n }))}${shot.title || t("newShot")}`)),
    h(
      "div",
      { class: "editor-body" },
      h("p", { class: "form-error", role: "alert" }),
      options.copiedFrom ? h("p", { class: "note", id: "copied-note" }, t("copiedPrompt", { n: options.copiedFrom })) : null,
      field(t("title"), controls.title, "title", rule(LIMITS, "title")),
      field(t("prompt"), controls.prompt, "prompt", rule(LIMITS, "prompt")),
      field(t("negativePrompt"), controls.negative_prompt, "negative_prompt", rule(LIMITS, "negative_prompt")),
      field(t("narration"), controls.narration, "narration", rule(LIMITS, "narration")),
      field(t("emotion"), controls.emotion, "emotion", { ...rule(LIMITS, "emotion"), hint: t(state.system.styles ? "emotionHint" : "emotionHintIgnored") }),
      h("datalist", { id: "emotion-suggestions" }, EMOTIONS.map((name) => h("option", { value: t(`emotion.${name}`) }))),
      h(
        "fieldset",
        { class: "field shot-characters", dataset: { field: "characters" } },
        h("legend", {}, t("inThisShot")),
        names.length ? present.map((box, i) => h("label", { class: "check" }, box, names[i])) : h("p", { class: "muted" }, t("castNone")),
        h("p", { class: "field-error", role: "alert" }),
      ),
      field(t("speakers"), controls.speakers, "speakers"),
      h(
        "div",
        { class: "grid-fields" },
        field(t("camera"), controls.camera, "camera"),
        field(t("duration"), controls.duration, "duration", { hint: t("durationHint") }),
        field(t("motion"), controls.motion, "motion"),
        field(t("transition"), controls.transition, "transition"),
        field(t("voice"), controls.voice, "voice"),
      ),
      field(t("ownKeyframe"), files.keyframe, "keyframe"),
      ownPreview,
      field(t("ownAudio"), files.audio, "audio"),
      h("h3", {}, t("regenerate")),
      h("div", { class: "row" }, ["keyframe", "narration", "clip"].map((what) => h("button", { type: "button", dataset: { regenerate: what }, onclick: regenerate(what) }, t(`regenerate.${what}`)))),
      shot.takes.length ? [h("h3", {}, t("takes")), takesList(shot, pick)] : null,
    ),
    h("footer", { class: "editor-foot" }, h("button", { type: "submit", class: "primary" }, t("save")), h("button", { type: "button", onclick: leave }, t("close")), h("span", { class: "muted" }, t("saveShortcut"))),
  );
  document.body.append(dialog);
  dialog.showModal();
  if (options.copiedFrom) controls.prompt.focus();
  if (options.focusTake) dialog.querySelector(`[data-take="${CSS.escape(options.focusTake)}"] button`)?.focus();
}
