import assert from "node:assert/strict";
import { test } from "node:test";
import type { AnyModel } from "@anywidget/types";
import { ChildModel, MountedChild, putBuffers, routeToChild } from "../pattern_hub/children";

/** The hub's model: records what the child proxies send through it. */
function fakeHub(): { model: AnyModel; sent: [unknown, unknown, unknown][] } {
  const sent: [unknown, unknown, unknown][] = [];
  const model = { send: (content: unknown, callbacks?: unknown, buffers?: unknown) => void sent.push([content, callbacks, buffers]) } as unknown as AnyModel;
  return { model, sent };
}

test("a child's send and save_changes travel through the hub, tagged with its id", () => {
  const { model, sent } = fakeHub();
  const child = new ChildModel("c1", { selected: "", source: "demo/items" }, model);
  const buf = new Uint8Array([1, 2]);
  child.send({ type: "request", id: "r1", kind: "graph", payload: {} }, undefined, [buf]);
  assert.deepEqual(sent[0][0], { type: "child-msg", child: "c1", content: { type: "request", id: "r1", kind: "graph", payload: {} } });
  assert.deepEqual(sent[0][2], [buf]);
  const seen: unknown[] = [];
  child.on("change:selected", (_m: unknown, value: unknown) => seen.push(value));
  child.set("selected", "frames");
  child.set("selected", "frames"); // unchanged: no event
  assert.deepEqual(seen, ["frames"]);
  assert.equal(child.get("selected"), "frames");
  child.save_changes();
  child.save_changes(); // nothing left to save
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1][0], { type: "child-set", child: "c1", state: { selected: "frames" } });
});

test("the hub routes its children's messages and trait changes to the right child only", () => {
  const { model } = fakeHub();
  const a = new ChildModel("c1", { filter: "all" }, model);
  const b = new ChildModel("c2", { filter: "all" }, model);
  const children = new Map([
    ["c1", { model: a } as unknown as MountedChild],
    ["c2", { model: b } as unknown as MountedChild],
  ]);
  const got: [string, unknown, DataView[]][] = [];
  a.on("msg:custom", (msg: unknown, buffers: DataView[]) => got.push(["c1", msg, buffers]));
  b.on("msg:custom", (msg: unknown, buffers: DataView[]) => got.push(["c2", msg, buffers]));
  const view = new DataView(new ArrayBuffer(4));
  assert.equal(routeToChild({ type: "child-msg", child: "c2", content: { type: "response", id: "r1", ok: true, payload: 7 } }, [view], children), true);
  assert.deepEqual(got, [["c2", { type: "response", id: "r1", ok: true, payload: 7 }, [view]]]);
  const changes: unknown[] = [];
  a.on("change:filter", () => changes.push(a.get("filter")));
  routeToChild({ type: "child-state", child: "c1", state: { filter: "ties" }, buffer_paths: [] }, [], children);
  assert.deepEqual(changes, ["ties"]);
  assert.equal(b.get("filter"), "all");
  assert.equal(routeToChild({ type: "response", id: "r9", ok: true, payload: {} }, [], children), false); // the hub's own
  assert.equal(routeToChild({ type: "child-msg", child: "gone", content: {} }, [], children), true); // dropped quietly
});

test("buffers go back where their paths say; a closed child sends nothing", () => {
  const view = new DataView(new ArrayBuffer(2));
  assert.deepEqual(putBuffers({ a: 1 }, [["blob"]], [view]), { a: 1, blob: view });
  const { model, sent } = fakeHub();
  const child = new ChildModel("c1", {}, model);
  child.closed = true;
  child.send({ x: 1 });
  child.set("x", 2);
  child.save_changes();
  assert.equal(sent.length, 0);
});
