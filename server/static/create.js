// The new-project form: a story, topic or document, and the render's options, each with its
// limits shown before anything is sent; the music fields wait until music is asked for; Motion
// defaults to what this server can make.

import { api } from "./api.js";
import { clearErrors, field, fill, h, select, showError } from "./dom.js";
import { t } from "./i18n.js";
import { loadLimits, rule } from "./limits.js";
import { loadSystem, voiceControl } from "./system.js";
import { label } from "./words.js";

const RESOLUTIONS = ["480p", "720p", "1080p"];
const CREATE = "ProjectCreate";

export async function newProjectView(main) {
  const [system] = await Promise.all([loadSystem(), loadLimits()]);
  const form = h("form", { class: "stack", novalidate: true });
  const source = select(["story", "topic", "document"].map((name) => [name, t(name)]), "story");
  const story = h("textarea", { rows: 8 });
  const topic = h("input", { type: "text" });
  const character = h("input", { type: "text" });
  const setting = h("input", { type: "text" });
  const length = select(["short", "medium", "long"].map((name) => [name, label("length", name)]), "medium");
  const documentFile = h("input", { type: "file", accept: ".txt,.md,.docx,.pdf,text/plain,application/pdf" });
  const parts = {
    story: h("div", {}, field(t("story"), story, "story", rule(CREATE, "story"))),
    topic: h(
      "div",
      { hidden: true },
      field(t("topic"), topic, "topic.topic", rule("TopicCreate", "topic")),
      field(t("mainCharacter"), character, "topic.main_character", rule("TopicCreate", "main_character")),
      field(t("setting"), setting, "topic.setting", rule("TopicCreate", "setting")),
      field(t("length"), length, "topic.length"),
    ),
    document: h("div", { hidden: true }, field(t("document"), documentFile, "document")),
  };
  source.addEventListener("change", () => Object.entries(parts).forEach(([name, part]) => (part.hidden = name !== source.value)));
  const motions = system.animates ? ["i2v", "kenburns", "static"] : ["kenburns", "static"];
  const controls = {
    title: h("input", { type: "text" }),
    style: h("input", { type: "text", placeholder: t("stylePlaceholder") }),
    scenes: h("input", { type: "number", min: 1, max: 24, value: 6 }),
    aspect: select(["16:9", "9:16", "1:1"].map((value) => [value, label("aspect", value)]), "16:9"),
    resolution: select(RESOLUTIONS.map((r) => [r, r]), "720p"),
    fps: h("input", { type: "number", min: 1, max: 60, value: 24 }),
    motion: select(motions.map((m) => [m, label("motion", m)]), motions[0]),
    voice: voiceControl(system.voices, ""),
    speed: h("input", { type: "number", min: 0.5, max: 2, step: 0.1, value: 1 }),
    music: h("input", { type: "checkbox" }),
    track: h("input", { type: "file", accept: "audio/*" }),
    volume: h("input", { type: "number", min: 0, max: 1, step: 0.05, value: 0.25 }),
    fadeIn: h("input", { type: "number", min: 0, max: 30, step: 0.5, value: 1.5 }),
    fadeOut: h("input", { type: "number", min: 0, max: 30, step: 0.5, value: 2 }),
    subtitles: h("input", { type: "checkbox", checked: true }),
  };
  const musicFields = h(
    "fieldset",
    { class: "grid-fields", disabled: true },
    h("legend", {}, t("music")),
    field(t("musicTrack"), controls.track, "options.music.track"),
    field(t("volume"), controls.volume, "options.music.volume", rule("MusicCreate", "volume")),
    field(t("fadeIn"), controls.fadeIn, "options.music.fade_in", rule("MusicCreate", "fade_in")),
    field(t("fadeOut"), controls.fadeOut, "options.music.fade_out", rule("MusicCreate", "fade_out")),
  );
  controls.music.addEventListener("change", () => (musicFields.disabled = !controls.music.checked));

  const submit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = {
        title: controls.title.value || null,
        style: controls.style.value || null,
        options: {
          scene_count: Number(controls.scenes.value) || null,
          aspect: controls.aspect.value,
          video: { resolution: controls.resolution.value, fps: Number(controls.fps.value), motion: controls.motion.value },
          voice: controls.voice.value || null,
          speed: Number(controls.speed.value),
          subtitles: controls.subtitles.checked,
          music: false,
        },
      };
      if (controls.music.checked) {
        const music = { volume: Number(controls.volume.value), fade_in: Number(controls.fadeIn.value), fade_out: Number(controls.fadeOut.value) };
        if (controls.track.files[0]) music.track = (await uploaded(controls.track.files[0], "options.music.track")).url;
        body.options.music = music;
      }
      if (source.value === "story") body.story = story.value;
      if (source.value === "topic") body.topic = { topic: topic.value, main_character: character.value || null, setting: setting.value || null, length: length.value };
      if (source.value === "document") {
        if (!documentFile.files[0]) throw { field: "document", code: "required" };
        body.document = (await uploaded(documentFile.files[0], "document")).url;
      }
      const project = await api.post("/projects", body);
      location.hash = `#/p/${project.project_id}`;
    } catch (error) {
      showError(form, error);
    } finally {
      button.disabled = false;
    }
  };
  form.addEventListener("submit", submit);
  form.append(
    h("p", { class: "form-error", role: "alert" }),
    field(t("title"), controls.title, "title", rule(CREATE, "title")),
    field(t("source"), source),
    ...Object.values(parts),
    h(
      "fieldset",
      { class: "grid-fields" },
      h("legend", {}, t("videoSettings")),
      field(t("style"), controls.style, "style", rule(CREATE, "style")),
      field(t("scenes"), controls.scenes, "options.scene_count", rule("RenderOptionsCreate", "scene_count")),
      field(t("aspect"), controls.aspect, "options.aspect"),
      field(t("resolution"), controls.resolution, "options.video.resolution"),
      field(t("fps"), controls.fps, "options.video.fps", rule("RenderVideo", "fps")),
      field(t("motion"), controls.motion, "options.video.motion"),
      field(t("voice"), controls.voice, "options.voice"),
      field(t("speed"), controls.speed, "options.speed", rule("RenderOptionsCreate", "speed")),
      field(t("subtitles"), controls.subtitles, "options.subtitles"),
      field(t("musicOn"), controls.music, "options.music"),
    ),
    musicFields,
    h("button", { type: "submit", class: "primary" }, t("create")),
  );
  fill(main, h("h1", {}, t("newProject")), form);
}

// An upload whose failure is shown at the field it was for.
async function uploaded(file, fieldName) {
  try {
    return await api.upload(file);
  } catch (error) {
    throw Object.assign(error, { field: fieldName });
  }
}
