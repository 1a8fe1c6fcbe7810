// Every change the page makes to a project's shots, each recorded for undo and redo: field edits,
// moves, inserts, deletes, take selections (a regenerate selects a new take), and batches of these.
// Writes carry the shot's `etag` as If-Match when the API gives one (a stale one is a 412).

import { api } from "./api.js";
import { t } from "./i18n.js";

// The fields a deleted shot comes back with (its files come back from the artifact store when
// the same seed and inputs are rendered again).
const FIELDS = ["title", "prompt", "negative_prompt", "narration", "characters", "speakers", "camera", "emotion", "duration", "motion", "transition", "voice", "seed"];
// Fields that change nothing in the film: editing only these leaves the render up to date.
const COSMETIC = ["title"];
const EDITED = "s2v.edited.";

// When this browser last changed what a project's film shows (ISO time), for the "out of date" mark.
export function lastEdited(projectId) {
  return localStorage.getItem(EDITED + projectId) || "";
}

function markEdited(projectId) {
  localStorage.setItem(EDITED + projectId, new Date().toISOString());
}

export function fieldsOf(shot) {
  return Object.fromEntries(FIELDS.filter((name) => shot[name] !== undefined).map((name) => [name, shot[name]]));
}

// `project()`: the project as last read; `changed(focus)`: refresh the view, then focus
// `{shot, action}` (the shot's id and the control to land on).
export function shotEdits(projectId, history, project, changed) {
  const path = `/projects/${projectId}/shots`;
  const current = (id) => project().shots.find((shot) => shot.shot_id === history.ids.now(id)) || { shot_id: history.ids.now(id) };
  const number = (id) => project().shots.findIndex((shot) => shot.shot_id === history.ids.now(id)) + 1;
  // `focus`: where focus lands after the refresh, or a function of the answer that says so.
  const write = async (call, focus, films = true) => {
    const answer = await call();
    if (films) markEdited(projectId);
    await changed(typeof focus === "function" ? focus(answer) : focus);
    return answer;
  };
  // `tag`: the one the caller's form was opened on; else the one last read.
  const patchNow = (id, body, focus, tag = undefined) => {
    const shot = current(id);
    const over = tag !== undefined ? tag : shot.etag ?? null;
    return write(() => api.patch(`${path}/${shot.shot_id}`, body, over), focus, !Object.keys(body).every((key) => COSMETIC.includes(key)));
  };
  const selectNow = (id, takeId) => write(() => api.post(`${path}/${history.ids.now(id)}/takes/${takeId}/select`, {}, current(id).etag ?? null), { shot: history.ids.now(id), action: "edit" });
  const before = (shot, body) => Object.fromEntries(Object.keys(body).map((key) => [key, shot[key] ?? null]));

  // Records an entry that undoes by bringing the take in use before back, and redoes by bringing
  // back the take that was in use when it was undone.
  const recordTake = (shot, previous, label) => {
    if (!previous) return;
    const id = shot.shot_id;
    let made = null;
    history.record({
      label,
      undo: async () => {
        made = current(id).take_id;
        await selectNow(id, previous);
      },
      redo: () => selectNow(id, made),
    });
  };

  const edits = {
    number,
    // Set fields of a shot (own files included); `focus` says where focus lands after.
    async patch(shot, body, focus = { shot: shot.shot_id, action: "edit" }, tag = undefined) {
      const old = before(shot, body);
      for (const own of ["keyframe", "audio"]) if (own in body) old[own] = null; // the API does not show a shot's own files
      const answer = await patchNow(shot.shot_id, body, focus, tag);
      const id = shot.shot_id;
      history.record({ label: t("did.edit", { n: number(id) }), undo: () => patchNow(id, old, focus), redo: () => patchNow(id, body, focus) });
      return answer;
    },

    async move(shot, to) {
      const from = project().shots.findIndex((one) => one.shot_id === shot.shot_id);
      const id = shot.shot_id;
      const moveTo = (index) => patchNow(id, { index }, { shot: history.ids.now(id), action: "keep" });
      await moveTo(to);
      history.record({ label: t("did.move", { n: to + 1 }), undo: () => moveTo(from), redo: () => moveTo(to) });
    },

    async insertAfter(shot, fields) {
      const create = (after) => write(() => api.post(path, { ...(after ? { after } : {}), ...fields }), (answer) => ({ shot: answer.shot_id, action: "edit" }));
      let made = await create(shot && shot.shot_id);
      const afterId = shot && shot.shot_id;
      const label = t("did.insert", { n: number(made.shot_id) });
      history.record({
        label,
        undo: () => write(() => api.del(`${path}/${history.ids.now(made.shot_id)}`, current(made.shot_id).etag ?? null), { shot: afterId && history.ids.now(afterId), action: "insert" }),
        redo: async () => {
          const again = await create(afterId && history.ids.now(afterId));
          history.ids.link(made.shot_id, again.shot_id);
          made = again;
        },
      });
      return made;
    },

    async remove(shot) {
      const shots = project().shots;
      const index = shots.findIndex((one) => one.shot_id === shot.shot_id);
      const previous = index > 0 ? shots[index - 1].shot_id : null;
      const neighbour = (shots[index + 1] || shots[index - 1] || {}).shot_id;
      const fields = fieldsOf(shot);
      let id = shot.shot_id;
      const del = () => write(() => api.del(`${path}/${history.ids.now(id)}`, current(id).etag ?? null), { shot: neighbour && history.ids.now(neighbour), action: "edit" });
      await del();
      history.record({
        label: t("did.delete", { n: index + 1 }),
        undo: async () => {
          const after = previous && history.ids.now(previous);
          const back = await write(() => api.post(path, { ...(after ? { after } : {}), ...fields }), (answer) => ({ shot: answer.shot_id, action: "edit" }));
          history.ids.link(id, back.shot_id);
          id = back.shot_id;
        },
        redo: del,
      });
    },

    async selectTake(shot, takeId) {
      const previous = shot.take_id;
      await selectNow(shot.shot_id, takeId);
      recordTake(shot, previous, t("did.take", { n: number(shot.shot_id) }));
    },

    // A regenerate is accepted as a task that makes a new take and selects it: undo brings the
    // take in use before back (once the task is done: the project is busy until then).
    async regenerate(shot, what) {
      const previous = shot.take_id;
      const task = await write(() => api.post(`${path}/${shot.shot_id}/regenerate`, { what }, current(shot.shot_id).etag ?? null), { shot: shot.shot_id, action: "edit" });
      recordTake(shot, previous, t("did.take", { n: number(shot.shot_id) }));
      return task;
    },

    // The same fields set on several shots, as one entry.
    async patchMany(shots, bodyOf) {
      const steps = shots.map((shot) => ({ id: shot.shot_id, body: bodyOf(shot), old: before(shot, bodyOf(shot)) }));
      const run = async (which) => {
        for (const one of steps) await patchNow(one.id, one[which], { shot: history.ids.now(one.id), action: "select" });
      };
      await run("body");
      history.record({ label: t("did.batch", { count: steps.length }), undo: () => run("old"), redo: () => run("body") });
    },
  };
  return edits;
}
