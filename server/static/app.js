// The studio: a page over the public API. Routes: #/ (projects), #/new, #/p/<project_id>.

import { api, fileUrl, onKeyNeeded, storedKey, storeKey } from "./api.js";
import { clearErrors, field, fill, h, seconds, select, showError, when } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import { projectView } from "./project.js";

const main = document.getElementById("main");
let leave = () => {}; // what the current view does when the page moves on (close its event stream)

// --- the API key: asked for once when the server answers 401, kept in this browser

const dialog = document.getElementById("key-dialog");

onKeyNeeded(
  () =>
    new Promise((resolve) => {
      document.getElementById("key-input").value = "";
      dialog.showModal();
      dialog.onclose = () => {
        const key = document.getElementById("key-input").value.trim();
        if (dialog.returnValue === "ok" && key) storeKey(key);
        document.getElementById("key-button").hidden = !storedKey();
        resolve(dialog.returnValue === "ok" && Boolean(key));
      };
    }),
);

document.getElementById("key-forget").addEventListener("click", () => {
  storeKey("");
  dialog.close("forget");
  location.reload();
});
document.getElementById("key-button").addEventListener("click", () => dialog.showModal());

// --- chrome: labels in the chosen language

function label() {
  document.getElementById("nav-projects").textContent = t("projects");
  document.getElementById("nav-new").textContent = t("newProject");
  document.getElementById("language-label").textContent = t("language");
  document.getElementById("key-button").textContent = t("apiKey");
  document.getElementById("key-button").hidden = !storedKey();
  document.getElementById("key-text").textContent = t("keyPrompt");
  document.getElementById("key-label").textContent = t("apiKey");
  document.getElementById("key-submit").textContent = t("signIn");
  document.getElementById("key-forget").textContent = t("forgetKey");
  document.title = t("studio");
}

const language = document.getElementById("language");
language.value = lang();
language.addEventListener("change", () => {
  setLang(language.value);
  label();
  route();
});

// --- projects list

async function projectsView() {
  fill(main, h("h1", {}, t("projects")), h("p", { class: "muted" }, t("loading")));
  const { projects } = await api.get("/projects?limit=100");
  const cards = projects.map((project) => projectCard(project));
  fill(main, 
    h("h1", {}, t("projects")),
    h("p", {}, h("a", { href: "#/new", class: "button primary" }, t("newProject"))),
    projects.length ? h("ul", { class: "project-grid" }, cards) : h("p", { class: "muted" }, t("noProjects")),
  );
}

function projectCard(project) {
  const last = project.renders.at(-1);
  const thumb = h("img", { alt: "", class: "thumb", loading: "lazy" });
  const first = project.shots.find((shot) => shot.keyframe);
  if (first) fileUrl(first.keyframe).then((url) => (thumb.src = url)).catch(() => {});
  const remove = async () => {
    if (!confirm(t("confirmDelete"))) return;
    await api.del(`/projects/${project.project_id}`);
    route();
  };
  return h(
    "li",
    { class: "card project-card", dataset: { project: project.project_id } },
    first ? thumb : h("div", { class: "thumb empty" }),
    h("h2", {}, h("a", { href: `#/p/${project.project_id}` }, project.title || project.story.slice(0, 40) || project.project_id)),
    h("p", { class: "muted" }, `${t("status")}: ${project.status} · ${t("created")}: ${when(project.created_at)}`),
    last ? h("p", {}, `${t("duration")}: ${seconds(last.duration)}`) : null,
    h("div", { class: "row" }, h("a", { href: `#/p/${project.project_id}`, class: "button" }, t("open")), h("button", { type: "button", onclick: remove }, t("delete"))),
  );
}

// --- new project

const RESOLUTIONS = ["480p", "720p", "1080p"];

function newProjectView() {
  const form = h("form", { class: "stack", novalidate: true });
  const source = select([["story", t("story")], ["topic", t("topic")], ["document", t("document")]], "story");
  const story = h("textarea", { rows: 8 });
  const topic = h("input", { type: "text" });
  const character = h("input", { type: "text" });
  const setting = h("input", { type: "text" });
  const length = select([["short", "short"], ["medium", "medium"], ["long", "long"]], "medium");
  const documentFile = h("input", { type: "file", accept: ".txt,.md,.docx,.pdf,text/plain,application/pdf" });
  const parts = {
    story: h("div", {}, field(t("story"), story, "story")),
    topic: h("div", { hidden: true }, field(t("topic"), topic, "topic.topic"), field(t("mainCharacter"), character, "topic.main_character"), field(t("setting"), setting, "topic.setting"), field(t("length"), length, "topic.length")),
    document: h("div", { hidden: true }, field(t("document"), documentFile, "document")),
  };
  source.addEventListener("change", () => Object.entries(parts).forEach(([name, part]) => (part.hidden = name !== source.value)));
  const controls = {
    title: h("input", { type: "text" }),
    style: h("input", { type: "text", placeholder: "cinematic storybook illustration" }),
    scenes: h("input", { type: "number", min: 1, max: 24, value: 6 }),
    aspect: select([["16:9", "16:9"], ["9:16", "9:16"], ["1:1", "1:1"]], "16:9"),
    resolution: select(RESOLUTIONS.map((r) => [r, r]), "720p"),
    fps: h("input", { type: "number", min: 1, max: 60, value: 24 }),
    motion: select([["i2v", "image-to-video"], ["kenburns", "pan / zoom"], ["static", "static"]], "i2v"),
    voice: h("input", { type: "text", placeholder: t("default") }),
    speed: h("input", { type: "number", min: 0.5, max: 2, step: 0.1, value: 1 }),
    music: h("input", { type: "checkbox" }),
    track: h("input", { type: "file", accept: "audio/*" }),
    volume: h("input", { type: "number", min: 0, max: 1, step: 0.05, value: 0.25 }),
    fadeIn: h("input", { type: "number", min: 0, max: 30, step: 0.5, value: 1.5 }),
    fadeOut: h("input", { type: "number", min: 0, max: 30, step: 0.5, value: 2 }),
    subtitles: h("input", { type: "checkbox", checked: true }),
  };
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
        if (controls.track.files[0]) music.track = (await uploaded(form, controls.track.files[0], "options.music.track")).url;
        body.options.music = music;
      }
      if (source.value === "story") body.story = story.value;
      if (source.value === "topic") body.topic = { topic: topic.value, main_character: character.value || null, setting: setting.value || null, length: length.value };
      if (source.value === "document") {
        if (!documentFile.files[0]) throw { field: "document", message: t("document") + "?" };
        body.document = (await uploaded(form, documentFile.files[0], "document")).url;
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
    field(t("title"), controls.title, "title"),
    field(t("source"), source),
    ...Object.values(parts),
    h(
      "fieldset",
      { class: "grid-fields" },
      h("legend", {}, t("render")),
      field(t("style"), controls.style, "style"),
      field(t("scenes"), controls.scenes, "options.scene_count"),
      field(t("aspect"), controls.aspect, "options.aspect"),
      field(t("resolution"), controls.resolution, "options.video.resolution"),
      field(t("fps"), controls.fps, "options.video.fps"),
      field(t("motion"), controls.motion, "options.video.motion"),
      field(t("voice"), controls.voice, "options.voice"),
      field(t("speed"), controls.speed, "options.speed"),
      field(t("subtitles"), controls.subtitles, "options.subtitles"),
    ),
    h(
      "fieldset",
      { class: "grid-fields" },
      h("legend", {}, t("music")),
      field(t("music"), controls.music, "options.music"),
      field(t("musicTrack"), controls.track, "options.music.track"),
      field(t("volume"), controls.volume, "options.music.volume"),
      field(t("fadeIn"), controls.fadeIn, "options.music.fade_in"),
      field(t("fadeOut"), controls.fadeOut, "options.music.fade_out"),
    ),
    h("button", { type: "submit", class: "primary" }, t("create")),
  );
  fill(main, h("h1", {}, t("newProject")), form);
}

async function uploaded(form, file, fieldName) {
  try {
    return await api.upload(file);
  } catch (error) {
    throw { field: fieldName, message: error.message };
  }
}

// --- routing

async function route() {
  leave();
  leave = () => {};
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/p/")) leave = await projectView(main, hash.slice(4));
    else if (hash === "#/new") newProjectView();
    else await projectsView();
  } catch (error) {
    fill(main, h("h1", {}, t("error")), h("p", { role: "alert" }, error.message));
  }
}

window.addEventListener("hashchange", route);
label();
route();
