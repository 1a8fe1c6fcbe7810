// The API's words as people read them: statuses, stages, option values, dates, durations, errors
// worded from the API's `code`, `field` and `limit` (today's validation messages understood as a
// fallback), and a task's warnings grouped into one line per kind that lists its shots.

import { has, lang, list, t } from "./i18n.js";

// An enum value's label ("camera.push_in" -> "Push in"); an unknown value shows as it came.
export function label(group, value) {
  const key = `${group}.${value}`;
  return has(key) ? t(key) : String(value ?? "");
}

export function dateText(timestamp) {
  if (!timestamp) return "";
  const locale = lang() === "zh" ? "zh-CN" : "en-GB";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(timestamp));
}

export function secondsText(value) {
  if (value == null) return t("auto");
  return t("seconds", { n: Number(value).toFixed(1) });
}

// "1 min 40 s" / "1 分 40 秒" for a running task's time so far.
export function elapsedText(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (lang() === "zh") return minutes ? `${minutes} 分 ${rest} 秒` : `${rest} 秒`;
  return minutes ? `${minutes} min ${rest} s` : `${rest} s`;
}

export function bytesText(bytes) {
  const megabytes = bytes / (1024 * 1024);
  return megabytes >= 1 ? `${Math.round(megabytes)} MB` : `${Math.round(bytes / 1024)} KB`;
}

// --- errors

// Today's validation messages (pydantic's words) -> a code and a limit, until the API sends them.
const MESSAGES = [
  [/^String should have at least (\d+) character/, (n) => (Number(n) === 1 ? ["required"] : ["too_short", n])],
  [/^String should have at most (\d+) character/, (n) => ["too_long", n]],
  [/^(?:List|Value) should have at most (\d+) item/, (n) => ["too_many", n]],
  [/^Input should be less than(?: or equal to)? ([-\d.e]+)/, (n) => ["too_large", n]],
  [/^Input should be greater than(?: or equal to)? ([-\d.e]+)/, (n) => ["too_small", n]],
  [/^Input should be a (?:valid|finite) (?:number|integer)/, () => ["not_a_number"]],
  [/^Input should be ['"]/, () => ["not_allowed"]],
  [/^Field required|^a JSON body is required|may not be null/, () => ["required"]],
  [/^unknown field/, () => ["unknown_field"]],
  [/^send exactly one of story, topic or document/, () => ["one_source"]],
  [/a name has 1-60 characters/, () => ["invalid_name"]],
  [/no LLM is configured/, () => ["no_llm_topic"]],
  [/is paused; resume or cancel it/, () => ["project_paused"]],
  [/larger than (\d+) bytes/, (n) => ["body_too_large", n]],
  [/does not decode|cannot be read|could not be read/, () => ["bad_file"]],
];

const GENERIC = new Set(["invalid_request", "invalid", "error", "conflict"]);

// The sentence for an API error (ApiError, or {code, reason, field, limit, message}; a task's error
// too) in the page's language; `fallback`: the words for an error this page has no words for.
export function errorText(error, fallback = "error.failed") {
  if (!error) return t("error.failed");
  // A 400 says why in `reason` (with its `limit`); the server's own checks ("invalid") and older
  // servers are understood from their message.
  let code = error.reason || error.code || "";
  let limit = error.limit ?? null;
  const message = error.message || "";
  if (GENERIC.has(code) || !code || code === "project_busy" || code === "body_too_large") {
    for (const [pattern, parse] of MESSAGES) {
      const found = message.match(pattern);
      if (found) {
        [code, limit = limit] = parse(found[1]);
        break;
      }
    }
  }
  if (code === "required" || code === "missing" || (code === "too_short" && Number(limit) === 1)) return t("error.required");
  if (code === "body_too_large") return limit ? t("error.body_too_large_limit", { limit: bytesText(Number(limit)) }) : t("error.body_too_large");
  if (["worker_stopped", "not_accepting"].includes(code)) code = "not_ready";
  if (code !== "invalid" && has(`error.${code}`)) return t(`error.${code}`, { limit: limit ?? "" });
  if (error.status === 0) return t("error.network");
  if (error.status >= 500) return t("error.internal_error");
  // An unknown 400: the server's own sentence is the best we have in English; a plain one in Chinese.
  return lang() === "en" && message && !/^HTTP \d+$/.test(message) ? message : t(error.status === 400 ? "error.invalid" : fallback);
}

// The form field a dotted API field is shown with ("options.video.fps" -> "Frames per second").
const FIELD_LABELS = {
  story: "story",
  title: "title",
  style: "style",
  document: "document",
  "topic.topic": "topic",
  "topic.main_character": "mainCharacter",
  "topic.setting": "setting",
  "options.scene_count": "scenes",
  "options.video.fps": "fps",
  "options.video.resolution": "resolution",
  "options.speed": "speed",
  "options.voice": "voice",
  prompt: "prompt",
  negative_prompt: "negativePrompt",
  narration: "narration",
  duration: "duration",
  camera: "camera",
  name: "characterName",
  description: "characterDescription",
  voice_description: "voiceDescription",
};

// An error for a toast: the field's label in front when it names one.
export function errorLine(error) {
  const name = FIELD_LABELS[error && error.field];
  return name ? t("fieldError", { field: t(name), message: errorText(error) }) : errorText(error);
}

// --- warnings

const WARNINGS = [
  [/^the story has (\d+) sentence\(s\), so it makes \d+ scene\(s\), not (\d+)/, (m) => ["fewerScenes", { count: m[1], asked: m[2] }]],
  [/^no LLM configured/, () => ["noLlm"]],
  [/^the LLM failed/, () => ["llmFailed"]],
  [/^no IP-Adapter weights/, () => ["noIpAdapter"]],
  [/narration .* is longer than the shot/, () => ["narrationLong"]],
  [/no image-to-video model is configured/, () => ["noI2v"]],
  [/image-to-video failed/, () => ["i2vFailed"]],
  [/the image-to-video model could not be loaded/, () => ["i2vNotLoaded"]],
  [/the music model could not be loaded/, () => ["musicNotLoaded"]],
  [/^music was asked for/, () => ["noMusic"]],
  [/subtitle font .* lacks (\d+) character/, (m) => ["fontMissing", { count: m[1] }]],
  [/(?:cut|truncated)/, () => ["promptCut"]],
];

// One line per kind of warning, naming the shots it concerns by their number on the page. A
// warning may be a string ("s3: ...", today) or {code, shot_id?, message, ...} (once the API codes them).
export function warningLines(warnings, shots) {
  const numberOf = (id) => {
    const index = shots.findIndex((shot) => shot.shot_id === id);
    return index < 0 ? id : String(index + 1);
  };
  const groups = new Map();
  for (const warning of warnings) {
    const text = typeof warning === "string" ? warning : warning.message || "";
    const found = typeof warning === "string" ? text.match(/^(s\d+): (.*)$/s) : null;
    const shotId = typeof warning === "string" ? found && found[1] : warning.shot_id;
    const rest = found ? found[2] : text;
    let kind = "other";
    let params = { text };
    if (typeof warning === "object" && warning.code && has(`warning.${warning.code}`)) [kind, params] = [warning.code, warning];
    else
      for (const [pattern, parse] of WARNINGS) {
        const match = rest.match(pattern);
        if (match) {
          [kind, params = {}] = parse(match);
          break;
        }
      }
    const key = kind === "other" ? `other:${rest}` : kind;
    const group = groups.get(key) || { kind, params, shots: [] };
    if (shotId && !group.shots.includes(numberOf(shotId))) group.shots.push(numberOf(shotId));
    groups.set(key, group);
  }
  return [...groups.values()].map(({ kind, params, shots: numbers }) => {
    const named = numbers.length ? t("shotsList", { list: list(numbers.sort((a, b) => a - b)) }) : "";
    return { kind, shots: numbers, text: t(`warning.${kind}`, { ...params, shots: named }) };
  });
}
