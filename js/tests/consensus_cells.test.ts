import assert from "node:assert/strict";
import { test } from "node:test";
import { cellLabel, cellQuery } from "../consensus_grid/rows";

test("a confusion cell becomes the rows query of exactly that cell", () => {
  const cell = { model: "knn", reference: "truth", actual: "3", predicted: "8" };
  assert.deepEqual(cellQuery(cell), { filter: "confusion", model: "knn", reference: "truth", actual: "3", predicted: "8" });
  assert.equal(cellLabel(cell), "knn: truth 3 → predicted 8");
  assert.equal(cellLabel({ ...cell, reference: "consensus", predicted: "∅" }), "knn: consensus 3 → predicted ∅");
});
