// Undo and redo for the session: each entry knows how to undo and redo itself through the API.
// A shot deleted and brought back gets a new id from the server, so entries name shots through
// `ids.now(id)`, which follows every id a shot has had.

export function createHistory(onChange = () => {}) {
  const done = [];
  const undone = [];
  const renamed = new Map(); // an old shot id -> the id it came back under
  let working = false;

  const ids = {
    now(id) {
      while (renamed.has(id)) id = renamed.get(id);
      return id;
    },
    link(oldId, newId) {
      if (oldId !== newId) renamed.set(oldId, newId);
    },
  };

  // Runs one step (an entry's undo or redo); the entry moves to the other stack only when it worked.
  const step = async (from, to, direction) => {
    if (working || !from.length) return null;
    working = true;
    const entry = from.pop();
    onChange();
    try {
      await entry[direction]();
      to.push(entry);
      return entry;
    } catch (error) {
      from.push(entry);
      throw error;
    } finally {
      working = false;
      onChange();
    }
  };

  return {
    ids,
    // `entry`: {label, undo: async () => {}, redo: async () => {}}; a new edit clears what was undone.
    record(entry) {
      done.push(entry);
      undone.length = 0;
      onChange();
    },
    undo: () => step(done, undone, "undo"),
    redo: () => step(undone, done, "redo"),
    canUndo: () => !working && done.length > 0,
    canRedo: () => !working && undone.length > 0,
    nextUndo: () => done.at(-1) || null,
    nextRedo: () => undone.at(-1) || null,
  };
}
