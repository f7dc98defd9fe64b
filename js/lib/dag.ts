// The one DAG layout every graph in pxwidgets uses (a pipeline's stages, a table's lineage): columns by depth, rows
// so that each main line stays straight and branches stack beneath it without overlapping. `layoutDag` is pure: ids
// and edges in, slots out; each panel draws its own boxes, on an `arrowLayer` of the same arrows.

import { svg } from "./dom";

/** An edge from the node read to the node reading it. */
export interface DagEdge {
  source: string;
  target: string;
}

export interface Slot {
  depth: number;
  row: number;
}

let markerCounter = 0;

/**
 * The SVG layer (width × height, under the boxes) a graph draws its arrows into, with its own arrowhead marker:
 * give each edge path `"marker-end": arrow`.
 */
export function arrowLayer(width: number, height: number, className: string): { layer: SVGSVGElement; arrow: string } {
  const layer = svg("svg", { class: className, width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  const id = `pxw-arrow-${++markerCounter}`;
  const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "pxw-arrowhead" }));
  const defs = svg("defs");
  defs.appendChild(marker);
  layer.appendChild(defs);
  return { layer, arrow: `url(#${id})` };
}

export interface Arrow<E extends DagEdge> {
  edge: E;
  /** From the middle of the source box's right side … */
  x1: number;
  y1: number;
  /** … to just before the middle of the target box's left side (room for the arrowhead). */
  x2: number;
  y2: number;
}

/** Where each edge's arrow runs between boxes of `width` × `height` at `pos` (top-left corners); unplaced skipped. */
export function arrowEnds<E extends DagEdge>(
  edges: E[],
  pos: (id: string) => { x: number; y: number } | null | undefined,
  width: number,
  height: number,
): Arrow<E>[] {
  const out: Arrow<E>[] = [];
  for (const edge of edges) {
    const s = pos(edge.source);
    const t = pos(edge.target);
    if (!s || !t || edge.source === edge.target) continue;
    out.push({ edge, x1: s.x + width, y1: s.y + height / 2, x2: t.x - 2, y2: t.y + height / 2 });
  }
  return out;
}

/**
 * Where each node goes. depth = longest path from a root; rows: a depth-first walk where a node's longest chain
 * continues its row and every other child starts a chain on the first row below where that chain's whole span is
 * free, so branches stack under their node, never overlap, and short branches share rows. A node with several
 * inputs hangs off the deepest one.
 */
export function layoutDag(ids: string[], edges: DagEdge[], rootFirst?: string): Map<string, Slot> {
  const known = new Set(ids);
  const valid = edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of valid) {
    parents.get(e.target)!.push(e.source);
    children.get(e.source)!.push(e.target);
  }
  const depth = new Map(ids.map((id) => [id, 0]));
  // Relax at most |ids| times: a cycle (which should not exist) cannot loop forever.
  for (let i = 0; i < ids.length; i++) {
    let changed = false;
    for (const e of valid) {
      const d = depth.get(e.source)! + 1;
      if (d > depth.get(e.target)! && d < ids.length) {
        depth.set(e.target, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const primary = new Map<string, string>();
  for (const id of ids) {
    let best: string | undefined;
    for (const p of parents.get(id)!) if (best === undefined || depth.get(p)! > depth.get(best)!) best = p;
    if (best !== undefined) primary.set(id, best);
  }
  // The child with the longest chain below it continues its parent's row: the main line stays straight.
  const height = new Map(ids.map((id) => [id, 0]));
  for (const id of ids.slice().sort((a, b) => depth.get(b)! - depth.get(a)!)) {
    const p = primary.get(id);
    if (p !== undefined) height.set(p, Math.max(height.get(p)!, height.get(id)! + 1));
  }
  const slots = new Map<string, Slot>();
  // Each row records the depth spans its chains take (plus the column before each chain, where its arrow comes in).
  const taken: [number, number][][] = [];
  const fits = (row: number, a: number, b: number) => !(taken[row] ?? []).some(([x, y]) => a <= y && x <= b);
  // Iterative depth-first walk (a long chain must not overflow the stack). A row of -1 starts a chain (a root or a
  // further child): it goes on the first row below its parent where its whole span is free, once the earlier
  // siblings' subtrees are placed, so it is resolved when popped. A first child continues its parent's row.
  const place = (start: string) => {
    const stack: [string, number, number][] = [[start, -1, -1]];
    while (stack.length) {
      let [id, row, parentRow] = stack.pop()!;
      if (slots.has(id)) continue;
      const d = depth.get(id)!;
      if (row < 0) {
        const a = d - 1;
        const b = d + height.get(id)!;
        row = parentRow + 1;
        while (!fits(row, a, b)) row++;
        (taken[row] ??= []).push([a, b]);
      }
      slots.set(id, { depth: d, row });
      const kids = children.get(id)!.filter((c) => primary.get(c) === id && !slots.has(c));
      const main = kids.reduce((best, c, i) => (height.get(c)! > height.get(kids[best])! ? i : best), 0);
      if (main > 0) kids.unshift(...kids.splice(main, 1));
      for (let k = kids.length - 1; k >= 1; k--) stack.push([kids[k], -1, row]);
      if (kids.length) stack.push([kids[0], row, row]);
    }
  };
  const roots = ids.filter((id) => !primary.has(id));
  if (rootFirst && roots.includes(rootFirst)) roots.sort((a, b) => Number(b === rootFirst) - Number(a === rootFirst));
  for (const r of roots) place(r);
  for (const id of ids) if (!slots.has(id)) place(id); // unreachable (a cycle): still shown
  return slots;
}
