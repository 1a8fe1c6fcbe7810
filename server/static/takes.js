// A shot's takes side by side: each with its picture, number, seed, time and (when the API gives
// it) the prompt it was drawn from; the one in use is marked, any other is picked with one click.

import { fileUrl } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { dateText } from "./words.js";

export function takesList(shot, pick) {
  return h(
    "ol",
    { class: "takes" },
    shot.takes.map((take, index) => {
      const n = index + 1;
      const inUse = take.take_id === shot.take_id;
      const image = h("img", { class: "take-thumb", alt: t("takeN", { n }) });
      if (take.keyframe) fileUrl(take.keyframe).then((url) => (image.src = url)).catch(() => {});
      const choose = inUse ? h("strong", { class: "in-use" }, t("inUse")) : h("button", { type: "button", onclick: () => pick(take) }, t("useTake", { n }));
      return h(
        "li",
        { class: inUse ? "take in-use" : "take", dataset: { take: take.take_id } },
        inUse ? image : h("button", { type: "button", class: "take-picture", tabindex: "-1", "aria-hidden": "true", onclick: () => pick(take) }, image),
        h("h4", {}, t("takeN", { n })),
        h("dl", {}, h("dt", {}, t("seed")), h("dd", {}, String(take.seed)), h("dt", {}, t("created")), h("dd", {}, dateText(take.created_at))),
        take.prompt ? h("p", { class: "take-prompt" }, take.prompt) : null,
        choose,
      );
    }),
  );
}
