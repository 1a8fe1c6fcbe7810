// The studio: a page over the public API. Routes: #/ (projects), #/new, #/p/<project_id>.

import { api, fileUrl, onKeyNeeded, storedKey, storeKey } from "./api.js";
import { newProjectView } from "./create.js";
import { fill, h, toastError } from "./dom.js";
import { labelled, lang, setLang, t } from "./i18n.js";
import { projectView } from "./project.js";
import { dateText, errorText, label as labelOf, secondsText } from "./words.js";

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

// The skip link brings the viewer into view and focuses it (a plain #viewer would be taken as a route).
document.getElementById("skip-player").addEventListener("click", (event) => {
  event.preventDefault();
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  viewer.scrollIntoView({ block: "start" });
  (viewer.querySelector("#film") || viewer).focus({ preventScroll: true });
});

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
  document.getElementById("skip-player").textContent = t("skipToPlayer");
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
  fill(
    main,
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
  const name = project.title || project.story.slice(0, 40) || t("untitled");
  const remove = async () => {
    if (!confirm(t("confirmDelete"))) return;
    try {
      await api.del(`/projects/${project.project_id}`);
    } catch (error) {
      toastError(error);
    }
    route();
  };
  return h(
    "li",
    { class: "card project-card", dataset: { project: project.project_id } },
    first ? thumb : h("div", { class: "thumb empty" }),
    h("h2", {}, h("a", { href: `#/p/${project.project_id}` }, name)),
    h("p", { class: "muted" }, `${labelled(t("status"))}${labelOf("status", project.status)} · ${labelled(t("created"))}${dateText(project.created_at)}`),
    last ? h("p", {}, `${labelled(t("duration"))}${secondsText(last.duration)}`) : null,
    h("div", { class: "row" }, h("a", { href: `#/p/${project.project_id}`, class: "button" }, t("open")), h("button", { type: "button", "aria-label": t("deleteProjectNamed", { name }), onclick: remove }, t("delete"))),
  );
}

// --- routing

async function route() {
  leave();
  leave = () => {};
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/p/")) leave = await projectView(main, hash.slice(4));
    else if (hash === "#/new") await newProjectView(main);
    else await projectsView();
  } catch (error) {
    fill(main, h("h1", {}, t("error")), h("p", { role: "alert" }, errorText(error)));
  }
}

window.addEventListener("hashchange", route);
label();
route();
