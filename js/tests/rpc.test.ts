import assert from "node:assert/strict";
import { test } from "node:test";
import type { AnyModel } from "@anywidget/types";
import { whenVisible } from "../lib/lazy";
import { buffersReferred, Rpc, toDataView } from "../lib/rpc";

type Listener = (msg: unknown, buffers: unknown) => void;

/** A model whose kernel is a function: it gets each sent request and answers with (message, buffers). */
function fakeModel(kernel: (req: Record<string, unknown>) => [unknown, unknown] | null) {
  const listeners = new Set<Listener>();
  const sent: Record<string, unknown>[] = [];
  const model = {
    on: (_event: string, fn: Listener) => listeners.add(fn),
    off: (_event: string, fn: Listener) => listeners.delete(fn),
    send: (req: Record<string, unknown>) => {
      sent.push(req);
      const answer = kernel(req);
      if (answer) queueMicrotask(() => listeners.forEach((fn) => fn(answer[0], answer[1])));
    },
  } as unknown as AnyModel;
  return { model, sent };
}

const bytes = (view: DataView) => Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
const page = { rows: [[{ kind: "image", buffer: 0 }], [{ kind: "image", buffer: 1 }]] };

test("buffers are read whatever shape the front end delivers them in", () => {
  const data = new Uint8Array([7, 8, 9]);
  assert.deepEqual(bytes(toDataView(new DataView(data.buffer))!), [7, 8, 9]);
  assert.deepEqual(bytes(toDataView(data.buffer)!), [7, 8, 9]);
  assert.deepEqual(bytes(toDataView(data.subarray(1))!), [8, 9]);
  assert.deepEqual(bytes(toDataView(Buffer.from(data).toString("base64"))!), [7, 8, 9]);
  assert.equal(toDataView({ nope: 1 }), null);
  assert.equal(toDataView("not base64!"), null);
});

test("a payload's buffer references are counted", () => {
  assert.equal(buffersReferred(page), 2);
  assert.equal(buffersReferred({ rows: [], buffer: "x" }), 0);
  assert.equal(buffersReferred({ diff: { rows: [{ before: [{ buffer: 4 }] }] } }), 5);
});

test("replies with ArrayBuffers or base64 strings as buffers resolve with DataViews", async () => {
  const { model } = fakeModel((req) => [
    { type: "response", id: req.id, ok: true, payload: page },
    [new Uint8Array([1, 2]).buffer, Buffer.from([3]).toString("base64")],
  ]);
  const reply = await new Rpc(model).request("page");
  assert.deepEqual(reply.buffers.map(bytes), [[1, 2], [3]]);
});

test("a front end that drops buffers gets them inline: asked again once, and inline from then on", async () => {
  const { model, sent } = fakeModel((req) => {
    const msg: Record<string, unknown> = { type: "response", id: req.id, ok: true, payload: page };
    if (req.inline) msg.inline_buffers = [Buffer.from([1]).toString("base64"), Buffer.from([2, 3]).toString("base64")];
    return [msg, undefined]; // binary buffers never arrive (Colab's widget manager)
  });
  const rpc = new Rpc(model);
  const first = await rpc.request("page", { offset: 0 });
  assert.deepEqual(first.buffers.map(bytes), [[1], [2, 3]]);
  assert.equal(sent.length, 2);
  assert.equal(sent[0].inline, undefined);
  assert.deepEqual([sent[1].inline, sent[1].id, sent[1].kind, sent[1].payload], [true, sent[0].id, "page", { offset: 0 }]);
  assert.equal(rpc.inlineBuffers, true);
  await rpc.request("page", { offset: 25 });
  assert.equal(sent.length, 3);
  assert.equal(sent[2].inline, true);
});

test("replies whose buffers arrive are never asked for again", async () => {
  const { model, sent } = fakeModel((req) => [
    { type: "response", id: req.id, ok: true, payload: page },
    [new DataView(new ArrayBuffer(1)), new DataView(new ArrayBuffer(2))],
  ]);
  const rpc = new Rpc(model);
  await rpc.request("page");
  await rpc.request("page");
  assert.equal(sent.length, 2);
  assert.equal(rpc.inlineBuffers, false);
});

test("requests wait until the panel is first visible", async () => {
  const { model, sent } = fakeModel((req) => [{ type: "response", id: req.id, ok: true, payload: {} }, []]);
  const rpc = new Rpc(model);
  let show!: () => void;
  rpc.holdUntil(new Promise<void>((resolve) => (show = resolve)));
  const reply = rpc.request("state");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(sent.length, 0);
  show();
  await reply;
  assert.equal(sent.length, 1);
});

test("whenVisible resolves on the first intersection, or at once without IntersectionObserver", async () => {
  const g = globalThis as { IntersectionObserver?: unknown };
  assert.equal(g.IntersectionObserver, undefined);
  await whenVisible({} as Element); // node has no IntersectionObserver: no wait

  let callback!: (entries: { isIntersecting: boolean }[]) => void;
  let disconnected = false;
  g.IntersectionObserver = class {
    constructor(cb: typeof callback) {
      callback = cb;
    }
    observe() {}
    disconnect() {
      disconnected = true;
    }
  };
  try {
    let visible = false;
    const done = whenVisible({} as Element).then(() => (visible = true));
    callback([{ isIntersecting: false }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(visible, false);
    callback([{ isIntersecting: true }]);
    await done;
    assert.equal(visible, true);
    assert.equal(disconnected, true);
  } finally {
    delete g.IntersectionObserver;
  }
});
