// Building the page from data: one element helper (text always as text, never as HTML), labelled
// form fields, and field errors from the API's 400s shown next to the field they name.

import { t } from "./i18n.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Replace an element's content; like h(), null and false children are left out (replaceChildren
// would show them as the text "null").
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

let fieldCount = 0;

// A labelled control; `name` is the API field it edits (errors naming that field appear under it).
export function field(label, control, name) {
  const id = control.id || `field-${++fieldCount}`;
  control.id = id;
  if (name) control.dataset.field = name;
  const error = h("p", { class: "field-error", role: "alert", id: `${id}-error` });
  control.setAttribute("aria-describedby", error.id);
  return h("div", { class: "field", dataset: { field: name || "" } }, h("label", { for: id }, label), control, error);
}

export function select(options, value) {
  return h("select", {}, options.map(([optionValue, label]) => h("option", { value: optionValue, selected: optionValue === value }, label)));
}

export function clearErrors(form) {
  for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
}

// Put an API error beside the field it names (the closest named field: `options.video.fps` falls
// back to `options.video`, then `options`), else at the top of the form.
function parents(name) {
  const names = [];
  while (name) {
    names.push(name);
    const shorter = name.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
    name = shorter === name ? "" : shorter;
  }
  return names;
}

export function showError(form, error) {
  for (const name of parents(error.field || "")) {
    const box = form.querySelector(`.field[data-field="${CSS.escape(name)}"] .field-error`);
    if (box) {
      box.textContent = error.message;
      box.closest(".field").querySelector("input, select, textarea")?.focus();
      return;
    }
  }
  const general = form.querySelector(".form-error");
  if (general) general.textContent = error.message;
  else toast(error.message, "error");
}

export function toast(message, kind = "info") {
  const area = document.getElementById("toasts");
  const note = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  area.append(note);
  setTimeout(() => note.remove(), 6000);
}

export function when(timestamp) {
  return timestamp ? new Date(timestamp).toLocaleString() : "";
}

export function seconds(value) {
  return value == null ? "" : `${Number(value).toFixed(1)} s`;
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

export function staleBadges(stale) {
  return stale.map((what) => badge(`${t(what === "narration" ? "narration" : what)} ${t("stale")}`, "stale"));
}
