// A fake kernel that answers from replies recorded from the real Python panel (tests/js/recordings/<panel>.json,
// written by the protocol tests with PXW_RECORD=1; see tests/support/recording.py).
//
// A request is answered with the recorded reply to the same command with an equal payload, in the epoch the fake has
// reached: every recorded write (a successful add, drop, …) moves it to the next epoch, so what is asked after a
// write gets what the kernel answered after it (and a request recorded only before the write is unrecorded after
// it: an older reply would show a state the kernel has left). Traits the command changed are set before the reply, as
// the kernel does. A request nobody recorded gets an error reply and is listed in window.__fake.unrecorded, which
// the test fixture turns into a failure.
//
// Test controls on window.__fake, besides sent / log / replies / failNext (see fake_anywidget.js):
//   hold[kind]      true: replies to that kind wait until release(kind)
//   epoch           the epoch reached (writes served so far)
//   unrecorded      every request the recording has no reply for

import { createFakeModel, failure, response, takeFailure } from "./fake_anywidget.js";

/** The scenario `scenario` of tests/js/recordings/<entry>.json. */
export async function loadRecording(entry, scenario = "main") {
  const res = await fetch(`/recordings/${entry}.json`);
  if (!res.ok) throw new Error(`no recording for ${entry} (record it: PXW_RECORD=1 pytest tests/protocol)`);
  const all = await res.json();
  if (!all[scenario]) throw new Error(`${entry}.json has no scenario '${scenario}' (has: ${Object.keys(all).join(", ")})`);
  return all[scenario];
}

function equal(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
}

const bytes = (b64) => new DataView(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);

export function createReplayModel(recording, overrides = {}) {
  const { model, fake, traits, emit } = createFakeModel({
    traits: { ...recording.traits, ...overrides },
    controls: { hold: {}, held: {}, epoch: 0, unrecorded: [], release },
    answer,
  });

  function release(kind) {
    const fns = fake.held[kind] ?? [];
    delete fake.held[kind];
    fake.hold[kind] = false;
    for (const fn of fns) fn();
  }

  /** The recorded entry answering `kind` with `payload` in the epoch reached. */
  function find(kind, payload) {
    return recording.entries.find((e) => e.kind === kind && e.epoch === fake.epoch && equal(e.request, payload ?? {}));
  }

  function answer(msg) {
    const { id, kind, payload } = msg;
    const deliver = (fn) => {
      if (fake.hold[kind]) (fake.held[kind] ??= []).push(() => setTimeout(fn, 1));
      else setTimeout(fn, 3);
    };
    const error = takeFailure(fake, kind);
    if (error) {
      deliver(() => emit("msg:custom", failure(id, error), []));
      return;
    }
    const entry = find(kind, payload);
    if (!entry) {
      fake.unrecorded.push({ kind, payload });
      const message = `The harness has no recorded reply to ${kind} ${JSON.stringify(payload)}.`;
      deliver(() => emit("msg:custom", failure(id, { message, code: "unrecorded" }), []));
      return;
    }
    deliver(() => {
      if (entry.write) fake.epoch = entry.epoch + 1;
      for (const [key, value] of Object.entries(entry.traits ?? {})) {
        // the kernel's trait update reaches the panel before the reply
        fake.log.push(["kernel-set", key, value]);
        if (traits[key] !== value) {
          traits[key] = value;
          emit(`change:${key}`);
        }
      }
      if ("error" in entry) emit("msg:custom", failure(id, entry.error), []);
      else emit("msg:custom", response(id, entry.reply), (entry.buffers ?? []).map(bytes));
    });
  }

  return model;
}
