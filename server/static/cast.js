// The cast panel: one card per character (its identity picture, description, voice, strength,
// reference image, a new design portrait, delete) and a form to add one. A card is drawn again only
// when its character changed, and then keeps what someone typed there and has not saved yet.

import { api, fileUrl } from "./api.js";
import { ask, badge, clearErrors, field, fill, h, showError, toast } from "./dom.js";
import { labelled, t } from "./i18n.js";
import { rule } from "./limits.js";
import { voiceControl } from "./system.js";
import { errorText } from "./words.js";

const WORKING = ["pending", "running", "paused"]; // a design task in these states has not finished
const WAIT_MS = 1000;

// Sets up the panel in `section`; returns draw(project), called on every refresh of the project view.
export function castPanel(section, projectId, refresh, system) {
  const panel = {
    section,
    path: `/projects/${projectId}/characters`,
    refresh,
    voices: system.voices,
    drawn: new Map(), // name -> { key, card }
    designing: new Map(), // name -> id of the task drawing its new design
  };
  const list = h("ul", { class: "cast-list", "aria-label": t("cast") });
  const empty = h("p", { class: "muted" }, t("castEmpty"));
  fill(section, h("h2", {}, t("cast")), empty, list, addForm(panel));

  const draw = (project) => {
    const people = project.characters || [];
    empty.hidden = people.length > 0;
    const cards = people.map((person) => {
      const key = JSON.stringify([person, panel.designing.get(person.name) || null]);
      const old = panel.drawn.get(person.name);
      if (old && old.key === key) return old.card;
      const card = characterCard(person, panel, draw.again);
      if (old) {
        card.keep(old.card.unsaved()); // what someone typed and has not saved survives the redraw
        keepFocus(old.card, card);
      }
      panel.drawn.set(person.name, { key, card });
      return card;
    });
    for (const name of panel.drawn.keys()) if (!people.some((p) => p.name === name)) panel.drawn.delete(name);
    // Re-inserting the same cards would blur the one being typed in: only when something moved.
    const same = cards.length === list.children.length && cards.every((card, i) => list.children[i] === card);
    if (!same) list.replaceChildren(...cards);
  };
  let last = null;
  draw.again = () => last && draw(last);
  return async (project) => {
    last = project;
    draw(project);
  };
}

// After a card is drawn anew, focus what had focus in the old one (keyboard users keep their place).
function keepFocus(oldCard, newCard) {
  const focused = document.activeElement;
  if (!oldCard.contains(focused)) return;
  const mark = focused.dataset.action ? `[data-action="${focused.dataset.action}"]` : `:is(input, select, textarea)[data-field="${focused.dataset.field}"]`;
  queueMicrotask(() => newCard.querySelector(mark)?.focus());
}

function characterCard(person, panel, redraw) {
  const { name } = person;
  const path = `${panel.path}/${encodeURIComponent(name)}`;
  const designTask = panel.designing.get(name);
  const form = h("form", { class: "stack", novalidate: true, "aria-label": name });
  const run = (action) => async () => {
    clearErrors(form);
    try {
      await action();
      await panel.refresh();
    } catch (error) {
      showError(form, error);
    }
  };
  const strength = person.strength ?? 0.6;
  const controls = {
    description: h("textarea", { rows: 3 }, person.description || ""),
    voice: voiceControl(panel.voices, person.voice),
    voice_description: h("input", { type: "text", value: person.voice_description || "" }),
    strength: h("input", { type: "range", min: 0, max: 1, step: 0.05, value: strength }),
  };
  const strengthValue = h("output", { class: "strength-value" }, strength.toFixed(2));
  let strengthMoved = false; // the slider snaps to its step: send its value only when someone moved it
  controls.strength.addEventListener("input", () => {
    strengthMoved = true;
    strengthValue.textContent = Number(controls.strength.value).toFixed(2);
  });
  const strengthField = field(t("strength"), controls.strength, "strength");
  strengthField.querySelector("input").after(strengthValue);
  const reference = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp" });
  const voiceClip = h("input", { type: "file", accept: "audio/*" });

  // The fields edited here and not saved yet, as a PATCH body.
  const unsaved = () => {
    const changed = strengthMoved ? { strength: Number(controls.strength.value) } : {};
    const now = { description: controls.description.value, voice_description: controls.voice_description.value, voice: controls.voice.value || null };
    const was = { description: person.description || "", voice_description: person.voice_description || "", voice: person.voice ?? null };
    for (const [key, value] of Object.entries(now)) if (value !== was[key]) changed[key] = value;
    return changed;
  };
  const keep = (changed) => {
    for (const [key, value] of Object.entries(changed)) controls[key].value = value ?? "";
    strengthMoved = "strength" in changed && changed.strength !== strength;
    strengthValue.textContent = Number(controls.strength.value).toFixed(2);
  };
  // A write carries the character's ETag when the API gives one; someone else's change since (412)
  // asks whether to keep theirs (what was typed here is dropped) or write this over it.
  const write = async (body, tag = person.etag ?? null) => {
    try {
      await api.patch(path, body, tag);
    } catch (error) {
      if (error.status !== 412) throw error;
      const choice = await ask(t("conflictTitle"), t("conflictText", { what: t("characterN", { name }) }), [
        ["overwrite", t("overwrite"), true],
        ["reload", t("reloadTheirs")],
      ]);
      if (choice === "overwrite") await api.patch(path, body, error.tag); else if (choice === "reload") panel.drawn.delete(name); // drawn again from the server's, unsaved text dropped
    }
  };
  const save = run(async () => {
    const body = unsaved();
    if (Object.keys(body).length) await write(body);
  });
  // An upload's failure belongs to its own field; the PATCH's own errors name theirs.
  const uploadThen = (input, key, fieldName) =>
    run(async () => {
      const file = input.files[0];
      if (!file) return;
      const uploaded = await api.upload(file).catch((error) => Promise.reject(Object.assign(error, { field: fieldName })));
      await write({ [key]: uploaded.url });
    });
  const remove = run(async () => {
    if (confirm(`${t("deleteCharacter")} ${name}?`)) await api.del(path, person.etag ?? null);
  });
  const drawDesign = async () => {
    clearErrors(form);
    let task;
    try {
      task = await api.post(`${path}/regenerate`, {});
    } catch (error) {
      showError(form, error);
      return;
    }
    panel.designing.set(name, task.task_id);
    redraw(); // this card, busy
    try {
      await finished(task.task_id, panel, name);
    } catch (error) {
      toast(`${labelled(name)}${errorText(error)}`, "error");
    } finally {
      panel.designing.delete(name);
    }
    if (panel.section.isConnected) await panel.refresh().catch((error) => toast(errorText(error), "error"));
    redraw(); // not busy any more, even when the refresh failed
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  reference.addEventListener("change", uploadThen(reference, "reference", "reference"));
  voiceClip.addEventListener("change", uploadThen(voiceClip, "voice", "voice_clip"));
  // fill(), not append(): it leaves out the parts a character does not have (null).
  fill(
    form,
    h("p", { class: "form-error", role: "alert" }),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", dataset: { action: "design" }, disabled: Boolean(designTask), "aria-busy": designTask ? "true" : null, onclick: drawDesign }, designTask ? t("drawingDesign") : t("newDesign")),
      designTask ? h("progress", { max: 1, value: 0, "aria-label": t("drawingDesign") }) : null,
    ),
    field(t("referenceUpload"), reference, "reference"),
    person.reference ? h("div", { class: "row" }, h("button", { type: "button", dataset: { action: "clear-reference" }, onclick: run(() => write({ reference: null })) }, t("clearReference"))) : null,
    field(t("characterDescription"), controls.description, "description"),
    field(t("voice"), controls.voice, "voice"),
    field(t("voiceClip"), voiceClip, "voice_clip"),
    field(t("voiceDescription"), controls.voice_description, "voice_description"),
    strengthField,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", dataset: { action: "save" } }, t("save")),
      h("button", { type: "button", dataset: { action: "delete" }, onclick: remove }, `${t("delete")} ${name}`),
    ),
  );
  const card = h("li", { class: "card cast-card", dataset: { character: name } }, identityPicture(person), h("h3", {}, name), form);
  return Object.assign(card, { unsaved, keep });
}

// The picture keyframes are conditioned on: the reference when one is set, else the design portrait.
function identityPicture(person) {
  const source = person.reference ? "reference" : "design";
  const picture = person.reference || person.design;
  const image = picture
    ? h("img", { class: "cast-image", alt: `${labelled(person.name)}${t(source === "reference" ? "referenceImage" : "designPortrait")}`, dataset: { path: picture } })
    : h("div", { class: "cast-image empty" }, h("span", { class: "muted" }, t("noDesignYet")));
  if (picture) fileUrl(picture).then((url) => (image.src = url)).catch(() => {});
  const identity = badge(t(source === "reference" ? "identityReference" : "identityDesign"), source === "reference" ? "ok" : "");
  identity.classList.add("identity");
  identity.dataset.identity = source;
  // A new design drawn while a reference is set is not used, but is seen.
  const design = person.reference && person.design ? h("img", { class: "cast-design", alt: `${labelled(person.name)}${t("latestDesign")}`, title: t("latestDesign"), dataset: { path: person.design } }) : null;
  if (design) fileUrl(person.design).then((url) => (design.src = url)).catch(() => {});
  return h("div", { class: "cast-picture" }, image, identity, design);
}

// Waits for a design task to end, showing its progress on the card; an error ends it with a toast.
async function finished(taskId, panel, name) {
  for (;;) {
    const task = await api.get(`/tasks/${taskId}`);
    const bar = panel.drawn.get(name)?.card.querySelector("progress");
    if (bar) bar.value = task.progress || 0;
    if (!WORKING.includes(task.status)) {
      if (task.status === "error" && task.error) toast(`${labelled(name)}${errorText(task.error, "error.task_failed")}`, "error");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  }
}

function addForm(panel) {
  const controls = {
    name: h("input", { type: "text", autocomplete: "off" }),
    description: h("textarea", { rows: 2 }),
    voice_description: h("input", { type: "text" }),
  };
  const form = h("form", { class: "stack card add-character", novalidate: true, "aria-label": t("addCharacter") });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { name: controls.name.value.trim(), description: controls.description.value };
    if (controls.voice_description.value) body.voice_description = controls.voice_description.value;
    try {
      await api.post(panel.path, body);
      form.reset();
      await panel.refresh();
    } catch (error) {
      if (error.code === "character_exists" && !error.field) error.field = "name";
      showError(form, error);
    }
  });
  form.append(
    h("h3", {}, t("addCharacter")),
    h("p", { class: "form-error", role: "alert" }),
    field(t("characterName"), controls.name, "name", rule("CharacterCreate", "name")),
    field(t("characterDescription"), controls.description, "description", rule("CharacterCreate", "description")),
    field(t("voiceDescription"), controls.voice_description, "voice_description", rule("CharacterCreate", "voice_description")),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("addCharacter"))),
  );
  return form;
}
