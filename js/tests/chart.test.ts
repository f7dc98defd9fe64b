import assert from "node:assert/strict";
import { test } from "node:test";
import { LEGEND_ABOVE, mergeLayout, panelLayout, titleText } from "../lib/chart";

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

test("a panel chart puts the legend above the plot and takes the title out of the SVG", () => {
  const figure = { title: { text: "Metrics per window" }, legend: { orientation: "v", y: -0.2, font: { size: 10 } }, margin: { t: 40, b: 40 }, height: 300 };
  const layout = panelLayout({ margin: { l: 56, t: 36 }, legend: { bgcolor: "rgba(0,0,0,0)" } }, figure);
  assert.equal(layout.title, undefined);
  assert.equal(layout.height, undefined);
  assert.deepEqual(layout.legend, { bgcolor: "rgba(0,0,0,0)", font: { size: 10 }, ...LEGEND_ABOVE });
  assert.deepEqual(layout.margin, { l: 56, t: 8, b: 40, autoexpand: true });
  assert.equal(titleText(figure), "Metrics per window");
  assert.equal(titleText({ title: "Plain" }), "Plain");
  assert.equal(titleText({}), "");
});
