// The lineage across patterns: each pattern and each table a pattern reads, placed by the shared DAG layout
// (js/lib/dag.ts), an arrow from a table's owner to the table and from the table to each pattern reading it.
// Click a pattern to open its panel inside the hub, a table to browse it. Names are set as text only.

import { layoutDag } from "../lib/dag";
import { h, svg } from "../lib/dom";
import type { HubLineage, HubNode } from "./contract";
import { KIND_LABELS } from "./labels";

const W = 180;
const H = 52;
const GAP_X = 64;
const GAP_Y = 16;
const PAD = 12;

export function renderHubGraph(data: HubLineage, onOpen: (node: HubNode) => void): HTMLElement {
  const root = h("div", { class: "pxw-hub-graph", testid: "pxw-hub-graph" });
  if (!data.nodes.length) {
    root.appendChild(h("div", { class: "pxw-empty" }, "No patterns to show."));
    return root;
  }
  const slots = layoutDag(data.nodes.map((n) => n.id), data.edges);
  let maxDepth = 0;
  let maxRow = 0;
  for (const s of slots.values()) {
    maxDepth = Math.max(maxDepth, s.depth);
    maxRow = Math.max(maxRow, s.row);
  }
  const width = PAD * 2 + (maxDepth + 1) * W + maxDepth * GAP_X;
  const height = PAD * 2 + (maxRow + 1) * H + maxRow * GAP_Y;
  const x = (id: string) => PAD + slots.get(id)!.depth * (W + GAP_X);
  const y = (id: string) => PAD + slots.get(id)!.row * (H + GAP_Y);
  const canvas = h("div", { class: "pxw-hub-graph-canvas" });
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const edges = svg("svg", { class: "pxw-hub-graph-edges", width, height });
  for (const e of data.edges) {
    if (!slots.has(e.source) || !slots.has(e.target)) continue;
    const x1 = x(e.source) + W;
    const y1 = y(e.source) + H / 2;
    const x2 = x(e.target);
    const y2 = y(e.target) + H / 2;
    const mid = (x1 + x2) / 2;
    edges.appendChild(svg("path", { class: "pxw-hub-edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
  }
  canvas.appendChild(edges);
  for (const n of data.nodes) {
    const box = h(
      "button",
      {
        type: "button",
        class: `pxw-hub-node pxw-hub-node-${n.kind}`,
        testid: "pxw-hub-node",
        "data-id": n.id,
        "data-kind": n.pattern_kind ?? n.kind,
        title: n.kind === "table" ? `Browse ${n.path}` : `Open ${n.path} here`,
      },
      h("span", { class: "pxw-hub-node-kind" }, KIND_LABELS[n.pattern_kind ?? n.kind] ?? n.kind),
      h("span", { class: "pxw-hub-node-label" }, n.label),
      h("span", { class: "pxw-hub-node-path" }, n.path),
    );
    box.style.left = `${x(n.id)}px`;
    box.style.top = `${y(n.id)}px`;
    box.style.width = `${W}px`;
    box.style.height = `${H}px`;
    box.addEventListener("click", () => onOpen(n));
    canvas.appendChild(box);
  }
  root.appendChild(canvas);
  return root;
}
