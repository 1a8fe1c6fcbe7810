// What this server offers the forms: its voices (GET /system), whether it has an image-to-video
// model, so Motion defaults to what it can make, and whether its speech engine reads a shot's
// emotion. Read once.

import { api } from "./api.js";
import { h } from "./dom.js";
import { labelled, t } from "./i18n.js";

let reading = null;

export function loadSystem() {
  reading ||= api
    .get("/system")
    .then((system) => ({
      voices: system.voices || [],
      animates: (system.models || []).some((model) => model.role === "i2v"),
      styles: system.speech_styles === true,
    }))
    .catch(() => ({ voices: [], animates: false, styles: false }));
  return reading;
}

// A select over the engine's voices (plus "automatic" and whatever is set now); a text field when
// the engine lists none.
export function voiceControl(voices, current) {
  if (!voices.length) return h("input", { type: "text", value: current || "", placeholder: t("automatic") });
  const options = [["", t("automatic")], ...voices.map((voice) => [voice, voice])];
  if (current && !voices.includes(current)) options.push([current, current.startsWith("/data/") ? `${labelled(t("recording"))}${current.split("/").pop()}` : current]);
  return h("select", {}, options.map(([value, text]) => h("option", { value, selected: value === (current || "") }, text)));
}
