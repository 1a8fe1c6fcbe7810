// Building the page from data: one element helper (text always as text, never as HTML), labelled
// form fields with their limits shown, API errors worded beside the field they name, toasts, and
// a small in-page question (a modal <dialog> in the page's language).

import { t } from "./i18n.js";
import { errorLine, errorText } from "./words.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style") element.style.cssText = value;
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Replace an element's content; like h(), null and false children are left out.
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

let fieldCount = 0;

// A labelled control; `name` is the API field it edits (errors naming that field appear under it).
// `limits` (limits.js's rule): a counter under text ("12 / 2000 characters"), a range on numbers;
// `limits.hint`: a line under those that says what the field does.
export function field(label, control, name, limits = {}) {
  const id = control.id || `field-${++fieldCount}`;
  control.id = id;
  if (name) control.dataset.field = name;
  const error = h("p", { class: "field-error", role: "alert", id: `${id}-error` });
  const hints = [];
  if (limits.maxLength && ["TEXTAREA", "INPUT"].includes(control.tagName) && control.type !== "number") {
    const counter = h("p", { class: "hint counter", id: `${id}-hint` });
    const count = () => {
      const length = [...control.value].length;
      counter.textContent = t("counter", { n: length, max: limits.maxLength });
      counter.classList.toggle("over", length > limits.maxLength);
    };
    control.addEventListener("input", count);
    queueMicrotask(count); // after the caller has set the value
    hints.push(counter);
  } else if (limits.maximum !== undefined && control.type === "number") {
    control.min = limits.minimum ?? control.min;
    control.max = limits.maximum;
    hints.push(h("p", { class: "hint", id: `${id}-hint` }, t("range", { min: limits.minimum ?? "", max: limits.maximum })));
  }
  if (limits.hint) hints.push(h("p", { class: "hint", id: `${id}-about` }, limits.hint));
  control.setAttribute("aria-describedby", [...hints.map((hint) => hint.id), error.id].join(" "));
  return h("div", { class: "field", dataset: { field: name || "" } }, h("label", { for: id }, label), control, hints, error);
}

// A select over [value, label] pairs.
export function select(options, value) {
  return h("select", {}, options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)));
}

export function clearErrors(form) {
  for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
}

// Put an API error beside the field it names (the closest named field: `options.video.fps` falls
// back to `options.video`, then `options`), else at the top of the form, else in a toast.
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
      box.textContent = errorText(error);
      box.closest(".field").querySelector("input, select, textarea")?.focus();
      return;
    }
  }
  const general = form.querySelector(".form-error");
  if (general) general.textContent = errorLine(error);
  else toast(errorLine(error), "error");
}

// A short note at the corner; `action` ({label, run}) adds a button (say, "Undo").
export function toast(message, kind = "info", action = null) {
  const area = document.getElementById("toasts");
  const button = action ? h("button", { type: "button", onclick: () => (note.remove(), action.run()) }, action.label) : null;
  const note = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, h("span", {}, message), button);
  area.append(note);
  setTimeout(() => note.remove(), action ? 10000 : 6000);
}

export function toastError(error) {
  toast(errorLine(error), "error");
}

// Run an edit; if it fails, say why and show the project as the server now has it.
export async function attempt(view, action) {
  try {
    await action();
  } catch (error) {
    toastError(error);
    await view.refresh().catch(() => {});
  }
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

// Ask in a modal dialog; resolves with the value of the button pressed (null for Escape).
// `choices`: [[value, label, primary?], ...].
export function ask(title, text, choices) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "question", "aria-labelledby": "question-title" },
      h("h2", { id: "question-title" }, title),
      h("p", {}, text),
      h("div", { class: "row" }, choices.map(([value, label, primary]) => h("button", { type: "button", class: primary ? "primary" : null, dataset: { choice: value }, onclick: () => dialog.close(value) }, label))),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue || null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
