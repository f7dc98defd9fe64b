// The lineage graph: bases on the left, their views to the right, one box per table with its kind, version,
// row count and how it was derived (iterator call or filter predicate, as text). Click a box to open it.

import "./lineage.css";
import { arrowEnds, arrowLayer, layoutDag } from "../lib/dag";
import { fmtCount, h, svg } from "../lib/dom";
import type { LineageEdge, LineageNode, LineageReply } from "./contract";

export type { LineageReply };

const W = 236;
const H = 104;
const GAP_X = 132;
const LABEL_H = 15;
const GAP_Y = 16;
const PAD = 12;

/** Columns of the graph (depth = longest path from a root), each ordered by the shared DAG layout's rows. */
export function layers(nodes: LineageNode[], edges: LineageEdge[]): LineageNode[][] {
  const slots = layoutDag(nodes.map((n) => n.path), edges);
  const out: LineageNode[][] = [];
  for (const n of nodes) (out[slots.get(n.path)!.depth] ??= []).push(n);
  for (const column of out) column?.sort((a, b) => slots.get(a.path)!.row - slots.get(b.path)!.row);
  return out.filter(Boolean);
}

export function renderLineage(data: LineageReply, onOpen: (path: string) => void): HTMLElement {
  const root = h("div", { class: "pxw-lineage", testid: "pxw-lineage" });
  if (!data.nodes.length) {
    root.appendChild(h("div", { class: "pxw-empty" }, "No lineage to show."));
    return root;
  }
  const cols = layers(data.nodes, data.edges);
  const tallest = Math.max(...cols.map((c) => c.length));
  const width = PAD * 2 + cols.length * W + (cols.length - 1) * GAP_X;
  const height = PAD * 2 + tallest * H + (tallest - 1) * GAP_Y;
  const pos = new Map<string, { x: number; y: number }>();
  cols.forEach((col, d) => {
    const offsetY = ((tallest - col.length) * (H + GAP_Y)) / 2;
    col.forEach((n, i) => pos.set(n.path, { x: PAD + d * (W + GAP_X), y: PAD + offsetY + i * (H + GAP_Y) }));
  });

  const canvas = h("div", { class: "pxw-lineage-canvas" });
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.appendChild(edgesLayer(data.edges, pos, width, height));
  for (const label of edgeLabels(data.edges, pos)) canvas.appendChild(label);
  for (const n of data.nodes) {
    const p = pos.get(n.path);
    if (p) canvas.appendChild(nodeBox(n, p, onOpen));
  }
  root.appendChild(canvas);
  return root;
}

function edgesLayer(edges: LineageEdge[], pos: Map<string, { x: number; y: number }>, width: number, height: number): SVGSVGElement {
  const { layer, arrow } = arrowLayer(width, height, "pxw-lineage-edges");
  for (const { x1, y1, x2, y2 } of arrowEnds(edges, (id) => pos.get(id), W, H)) {
    const mx = (x1 + x2) / 2;
    layer.appendChild(svg("path", { d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, class: "pxw-edge", "marker-end": arrow }));
  }
  return layer;
}

/**
 * Edge labels as HTML (not SVG text) so they clip with an ellipsis: one line above the arrow's end, inside the gap
 * between the columns (never over a box), the full text in a tooltip. The target box shows the iterator/filter too.
 */
function edgeLabels(edges: LineageEdge[], pos: Map<string, { x: number; y: number }>): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (const e of edges) {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    if (!s || !t || e.source === e.target || !e.label) continue;
    const left = t.x - GAP_X + 8; // the gap right before the target, even when the base is columns away
    const label = h("div", { class: "pxw-edge-label", testid: "pxw-lineage-edge-label", title: `${e.source} → ${e.target}: ${e.label}` }, e.label);
    label.style.left = `${left}px`;
    label.style.width = `${Math.max(0, t.x - 10 - left)}px`;
    label.style.top = `${t.y + H / 2 - LABEL_H - 3}px`;
    label.style.height = `${LABEL_H}px`;
    out.push(label);
  }
  return out;
}

function nodeBox(n: LineageNode, p: { x: number; y: number }, onOpen: (path: string) => void): HTMLElement {
  const how = n.iterator
    ? h("div", { class: "pxw-node-how", title: `iterator: ${n.iterator}` }, h("span", { class: "pxw-node-how-tag" }, "iter"), n.iterator)
    : n.filter
      ? h("div", { class: "pxw-node-how", title: `where ${n.filter}` }, h("span", { class: "pxw-node-how-tag" }, "where"), n.filter)
      : null;
  const box = h(
    "div",
    {
      class: `pxw-node pxw-node-${n.kind}${n.is_current ? " pxw-node-current" : ""}${n.error ? " pxw-node-error" : ""}`,
      testid: "pxw-lineage-node",
      "data-path": n.path,
      role: "button",
      tabindex: n.is_current ? -1 : 0,
      "aria-current": n.is_current ? "true" : undefined,
      title: n.is_current ? `${n.path} (shown)` : `Open ${n.path}`,
    },
    h(
      "div",
      { class: "pxw-node-top" },
      h("span", { class: `pxw-badge pxw-badge-${n.kind}` }, n.kind),
      h("span", { class: "pxw-badge pxw-badge-version" }, `v${n.version}`),
      h("span", { class: "pxw-spacer" }),
      h("span", { class: "pxw-dim" }, n.row_count === null ? "? rows" : `${fmtCount(n.row_count)} rows`),
    ),
    h("div", { class: "pxw-node-path" }, n.path),
    how,
    n.error ? h("div", { class: "pxw-node-err", title: n.error }, `⚠ ${n.error}`) : null,
  );
  box.style.left = `${p.x}px`;
  box.style.top = `${p.y}px`;
  box.style.width = `${W}px`;
  box.style.height = `${H}px`;
  if (!n.is_current) {
    box.addEventListener("click", () => onOpen(n.path));
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        onOpen(n.path);
      }
    });
  }
  return box;
}
