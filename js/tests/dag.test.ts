import assert from "node:assert/strict";
import { test } from "node:test";
import { arrowEnds, layoutDag } from "../lib/dag";

const slotsOf = (ids: string[], edges: [string, string][], root?: string) =>
  Object.fromEntries([...layoutDag(ids, edges.map(([source, target]) => ({ source, target })), root)].map(([k, v]) => [k, [v.depth, v.row]]));

test("a chain stays on one row, one column per step", () => {
  assert.deepEqual(slotsOf(["a", "b", "c"], [["a", "b"], ["b", "c"]]), { a: [0, 0], b: [1, 0], c: [2, 0] });
});

test("the longest branch continues the row; a short branch stacks below without overlapping", () => {
  const s = slotsOf(["v", "f", "faces", "n", "eyes"], [["v", "f"], ["f", "faces"], ["faces", "n"], ["f", "eyes"]]);
  assert.deepEqual(s.faces, [2, 0]);
  assert.deepEqual(s.n, [3, 0]);
  assert.deepEqual(s.eyes, [2, 1]);
});

test("a node with two inputs sits after the deeper one", () => {
  const s = slotsOf(["a", "b", "c", "d"], [["a", "b"], ["b", "c"], ["a", "d"], ["c", "d"]]);
  assert.equal(s.d[0], 3);
});

test("edges to unknown nodes and cycles never hang or drop a node", () => {
  const s = slotsOf(["a", "b"], [["a", "b"], ["b", "a"], ["a", "zzz"]]);
  assert.deepEqual(Object.keys(s).sort(), ["a", "b"]);
});

test("the named root comes first among several roots", () => {
  const s = slotsOf(["x", "root"], [], "root");
  assert.deepEqual(s.root, [0, 0]);
  assert.deepEqual(s.x, [0, 1]);
});

test("arrows run from the right middle of the source box to just before the left middle of the target", () => {
  const pos = new Map([["a", { x: 0, y: 0 }], ["b", { x: 300, y: 100 }]]);
  const edges = [{ source: "a", target: "b" }, { source: "a", target: "gone" }, { source: "b", target: "b" }];
  assert.deepEqual(arrowEnds(edges, (id) => pos.get(id), 200, 80), [{ edge: edges[0], x1: 200, y1: 40, x2: 298, y2: 140 }]);
});
