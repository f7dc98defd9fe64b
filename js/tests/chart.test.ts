import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeLayout } from "../lib/chart";

test("a figure's layout keeps the theme's colours and adds its own titles", () => {
  const theme = { font: { color: "#eee", size: 12 }, xaxis: { gridcolor: "#333" }, margin: { l: 1 } };
  const merged = mergeLayout(theme, { xaxis: { title: { text: "window" } }, title: { text: "Accuracy" } });
  assert.deepEqual(merged.xaxis, { gridcolor: "#333", title: { text: "window" } });
  assert.deepEqual(merged.font, { color: "#eee", size: 12 });
  assert.deepEqual(merged.title, { text: "Accuracy" });
});

test("extra axes of a figure get the theme's axis colours too", () => {
  const merged = mergeLayout({ xaxis: { gridcolor: "#333" } }, { yaxis2: { overlaying: "y" } });
  assert.deepEqual(merged.yaxis2, { gridcolor: "#333", overlaying: "y" });
});
