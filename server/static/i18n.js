// Interface text in English and Chinese: follows the browser, switchable, remembered. `t(key,
// params)` fills `{name}` placeholders; every visible word of the page comes through here.

import { EN } from "./text-en.js";
import { ZH } from "./text-zh.js";

const TEXT = { en: EN, zh: ZH };
const STORED = "s2v.lang";
const browser = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
let current = localStorage.getItem(STORED) || browser;

export function lang() {
  return current;
}

export function setLang(value) {
  current = TEXT[value] ? value : "en";
  localStorage.setItem(STORED, current);
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
}

export function has(key) {
  return key in TEXT.en;
}

export function t(key, params = {}) {
  const text = (TEXT[current] && TEXT[current][key]) ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A list of names or numbers joined the way the language joins them ("2, 3" or "2、3").
export function list(items) {
  return items.join(current === "zh" ? "、" : ", ");
}

// "Status: " or "状态：", the label of a value as the language writes it.
export function labelled(name) {
  return current === "zh" ? `${name}：` : `${name}: `;
}

setLang(current);
