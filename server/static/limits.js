// The limits the API publishes (its OpenAPI document: lengths, ranges, choices), read once, so a
// form shows them before anything is sent: counters on text, ranges on numbers, choices in selects.

import { api } from "./api.js";

let document_ = null;
let loading = null;

export function loadLimits() {
  loading ||= api
    .get("/openapi.json")
    .then((doc) => (document_ = doc))
    .catch(() => (document_ = null)); // an older or locked-down server: forms work without the hints
  return loading;
}

function resolve(schema) {
  while (schema && schema.$ref) schema = document_.components.schemas[schema.$ref.split("/").pop()];
  if (schema && schema.anyOf) return resolve(schema.anyOf.find((member) => member.type !== "null" && member.type !== "boolean") || schema.anyOf[0]);
  return schema;
}

// The rule of `path` ("options.video.fps") in component schema `name` ("ProjectCreate"): an
// object with what it has of maxLength, minLength, maximum, minimum, enum; {} when unknown.
export function rule(name, path) {
  if (!document_) return {};
  let schema = resolve({ $ref: `#/components/schemas/${name}` });
  for (const part of path.split(".")) {
    schema = schema && schema.properties ? resolve(schema.properties[part]) : null;
  }
  if (!schema) return {};
  const { maxLength, minLength, maximum, minimum } = schema;
  return { maxLength, minLength, maximum, minimum, enum: schema.enum };
}

// True when the API's schema `name` has a property `field` (a capability the page can use).
export function offers(name, field) {
  return Boolean(document_ && document_.components.schemas[name]?.properties?.[field]);
}
