import assert from "node:assert/strict";
import { test } from "node:test";
import { fmtCount } from "../lib/dom";
import { lastOffset } from "../lib/pager";
import { kindLabel } from "../stage_builder/kinds";

test("the last page's offset", () => {
  assert.equal(lastOffset(0, 25), 0);
  assert.equal(lastOffset(25, 25), 0);
  assert.equal(lastOffset(26, 25), 25);
  assert.equal(lastOffset(1000, 50), 950);
});

test("counts are grouped for reading", () => {
  assert.match(fmtCount(1234567), /^1.234.567$/);
  assert.equal(fmtCount(12), "12");
});

test("stage kind labels", () => {
  assert.equal(kindLabel("iterator"), "ITER");
  assert.equal(kindLabel("something"), "SOMETHING");
});
