// The anywidget model plumbing the harness fakes share: traits (get/set/on/off/save_changes), `send`, listener counts,
// and the test controls every fake has on window.__fake. Each fake adds its own controls and its `answer(msg)`,
// which replies to requests by emitting "msg:custom" messages (see response / failure / unknownCommand).
//
// Shared test controls on window.__fake:
//   sent            every message the panel sent (requests and cancels), in order
//   replies         every successful reply the fake gave ({kind, payload}): checked against the Python contract
//   log             trait writes, save_changes and off() calls
//   failNext[kind]  {message, code, hint}: the next request of that kind gets an error reply
//   progress[kind]  [[done, total, message], ...]: progress messages sent before that kind's reply

/** A fake model with `traits`; `controls` are added to window.__fake; `answer(msg)` is called for every request. */
export function createFakeModel({ traits: initial, controls = {}, answer }) {
  const traits = { ...initial };
  const handlers = new Map();
  const fake = (window.__fake = { sent: [], log: [], replies: [], failNext: {}, progress: {}, ...controls });

  function emit(event, ...args) {
    const msg = args[0];
    if (event === "msg:custom" && msg && msg.type === "response" && msg.ok) {
      const request = fake.sent.find((m) => m.type === "request" && m.id === msg.id);
      fake.replies.push({ kind: request ? request.kind : null, payload: JSON.parse(JSON.stringify(msg.payload)) });
    }
    for (const cb of [...(handlers.get(event) ?? [])]) cb(...args);
  }

  const model = {
    get: (key) => traits[key],
    set: (key, value) => {
      const old = traits[key];
      traits[key] = value;
      fake.log.push(["set", key, value]);
      if (old !== value) emit(`change:${key}`);
    },
    on: (event, cb) => {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event).add(cb);
    },
    off: (event, cb) => {
      fake.log.push(["off", event]);
      if (!event) handlers.clear();
      else if (!cb) handlers.delete(event);
      else handlers.get(event)?.delete(cb);
    },
    save_changes: () => fake.log.push(["save_changes"]),
    send: (msg) => {
      fake.sent.push(JSON.parse(JSON.stringify(msg)));
      if (msg && msg.type === "request") answer(msg);
    },
    listeners: (event) => handlers.get(event)?.size ?? 0,
    widget_manager: {},
  };
  return { model, fake, traits, emit };
}

/** The error the next request of `kind` should get (fake.failNext), consumed; undefined when none. */
export function takeFailure(fake, kind) {
  const failure = fake.failNext[kind];
  if (failure) delete fake.failNext[kind];
  return failure;
}

export const response = (id, payload) => ({ type: "response", id, ok: true, payload });
export const failure = (id, error) => ({ type: "response", id, ok: false, error });
export const unknownCommand = (id, kind) => failure(id, { message: `Bad request: unknown command '${kind}'.`, code: "error" });
