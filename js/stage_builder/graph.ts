// The pipeline as a graph of stage boxes: left→right by depth, every branch on a row of its own (like a git graph),
// SVG arrows from the stage read to the stage reading it. Each box: kind badge, name, definition (mono, clipped,
// full text in a tooltip), row and error counts, a problem badge, "+" (add a stage after it) and a drop button.
// Everything that comes from the kernel is set as text or attributes, never as HTML.

import "./stage_builder.css";
import { arrowEnds, arrowLayer, layoutDag, type Slot } from "../lib/dag";
import { fmtCount, h, svg } from "../lib/dom";
import type { GraphReply, StageEdge, StageNode } from "./contract";
import { fmtRate, fmtSeconds, kindLabel } from "./kinds";

export const NODE_W = 212;
export const NODE_H = 96;
const GAP_X = 56;
const GAP_Y = 18;
const PAD = 14;
/** The id of the "being added" placeholder: not a valid stage name, so it never collides with one. */
const PENDING_ID = "\u0000pending";

export interface StageGraphHandlers {
  onSelect: (stage: string, opts?: { errorsOnly?: boolean }) => void;
  onAdd: (stage: string) => void;
  onDrop: (stage: string) => void;
}

interface Pending {
  after: string;
  name: string;
}

export class StageGraph {
  readonly el: HTMLElement;
  /** The scrolling viewport (the graph can be wider and taller than the panel). */
  private readonly scroller: HTMLElement;
  private readonly canvas = h("div", { class: "pxw-sg-canvas" });
  private readonly resizeObserver: ResizeObserver | undefined;
  private graph: GraphReply = { root: "", head: "", nodes: [], edges: [], problems: [] };
  private readonly boxes = new Map<string, HTMLElement>();
  private edgeEls: SVGPathElement[] = [];
  private slots = new Map<string, Slot>();
  private selected = "";
  private after = "";
  private doomed = new Set<string>();
  private pending: Pending | null = null;
  private busyDrop = "";

  constructor(private readonly handlers: StageGraphHandlers) {
    this.scroller = h(
      "div",
      { class: "pxw-sg", role: "listbox", "aria-label": "Pipeline stages", "aria-orientation": "horizontal" },
      this.canvas,
    );
    // Fades on the edges where more stages are scrolled out of view.
    this.el = h(
      "div",
      { class: "pxw-sg-wrap", testid: "pxw-stage-graph" },
      this.scroller,
      h("div", { class: "pxw-sg-fade pxw-sg-fade-left", "aria-hidden": "true" }),
      h("div", { class: "pxw-sg-fade pxw-sg-fade-right", "aria-hidden": "true" }),
    );
    this.canvas.addEventListener("keydown", (ev) => this.onKey(ev));
    this.scroller.addEventListener("scroll", () => this.updateOverflow(), { passive: true });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver(() => this.updateOverflow());
      this.resizeObserver.observe(this.scroller);
    }
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
  }

  private updateOverflow(): void {
    const s = this.scroller;
    this.el.classList.toggle("pxw-sg-more-left", s.scrollLeft > 1);
    this.el.classList.toggle("pxw-sg-more-right", s.scrollLeft + s.clientWidth < s.scrollWidth - 1);
  }

  get nodes(): StageNode[] {
    return this.graph.nodes;
  }

  node(id: string): StageNode | undefined {
    return this.graph.nodes.find((n) => n.id === id);
  }

  /** The stages a stage reads (its inputs). */
  parentsOf(id: string): string[] {
    return this.graph.edges.filter((e) => e.target === id).map((e) => e.source);
  }

  setGraph(graph: GraphReply): void {
    this.graph = graph;
    this.render();
  }

  setSelected(id: string): void {
    this.selected = id;
    this.decorate();
  }

  /** The stage the Add form adds after (outlined), '' for none. */
  setAfter(id: string): void {
    this.after = id;
    this.decorate();
  }

  /** Stages a confirmed drop would remove (marked), empty to unmark. */
  setDoomed(ids: string[]): void {
    this.doomed = new Set(ids);
    this.decorate();
  }

  /** A placeholder box for a stage being added (long work), null to remove it. */
  setPending(pending: Pending | null): void {
    this.pending = pending;
    this.render();
  }

  /** A drop plan is being fetched for this stage: its button shows it. */
  setDropBusy(id: string): void {
    this.busyDrop = id;
    this.decorate();
  }

  /** Scroll the graph (only the graph, never the notebook) so a stage's box is visible. */
  reveal(id: string): void {
    const box = this.boxes.get(id);
    if (!box) return;
    const left = box.offsetLeft;
    const top = box.offsetTop;
    const el = this.scroller;
    if (left < el.scrollLeft) el.scrollLeft = Math.max(0, left - PAD);
    else if (left + NODE_W > el.scrollLeft + el.clientWidth) el.scrollLeft = left + NODE_W + PAD - el.clientWidth;
    if (top < el.scrollTop) el.scrollTop = Math.max(0, top - PAD);
    else if (top + NODE_H > el.scrollTop + el.clientHeight) el.scrollTop = top + NODE_H + PAD - el.clientHeight;
  }

  focus(id: string): void {
    this.boxes.get(id)?.focus({ preventScroll: true });
    this.reveal(id);
  }

  // ---- rendering -----------------------------------------------------------------------------------------------

  private render(): void {
    const t0 = performance.now();
    const nodes = this.graph.nodes.slice();
    const edges = this.graph.edges.slice();
    const pending = this.pending && this.graph.nodes.some((n) => n.id === this.pending!.after) ? this.pending : null;
    if (pending) edges.push({ source: pending.after, target: PENDING_ID });
    const ids = nodes.map((n) => n.id);
    if (pending) ids.push(PENDING_ID);
    this.slots = layoutDag(ids, edges, this.graph.root);

    let maxDepth = 0;
    let maxRow = 0;
    for (const s of this.slots.values()) {
      maxDepth = Math.max(maxDepth, s.depth);
      maxRow = Math.max(maxRow, s.row);
    }
    const width = PAD * 2 + (maxDepth + 1) * NODE_W + maxDepth * GAP_X;
    const height = PAD * 2 + (maxRow + 1) * NODE_H + maxRow * GAP_Y;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;

    const frag = document.createDocumentFragment();
    frag.appendChild(this.edgesLayer(edges, width, height));
    this.boxes.clear();
    for (const n of nodes) {
      const box = this.nodeBox(n);
      this.boxes.set(n.id, box);
      frag.appendChild(box);
    }
    if (pending) frag.appendChild(this.pendingBox(pending));
    if (!nodes.length) frag.appendChild(h("div", { class: "pxw-empty pxw-sg-empty" }, "No stages to show."));
    this.canvas.replaceChildren(frag);
    this.decorate();
    this.updateOverflow();
    this.el.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  private pos(id: string): { x: number; y: number } | null {
    const s = this.slots.get(id);
    return s ? { x: PAD + s.depth * (NODE_W + GAP_X), y: PAD + s.row * (NODE_H + GAP_Y) } : null;
  }

  private edgesLayer(edges: StageEdge[], width: number, height: number): SVGSVGElement {
    const { layer, arrow } = arrowLayer(width, height, "pxw-sg-edges");
    this.edgeEls = [];
    for (const { edge: e, x1, y1, x2, y2 } of arrowEnds(edges, (id) => this.pos(id), NODE_W, NODE_H)) {
      // Branches leave their stage right away and run level into the child, so they never cross a box.
      const bend = Math.min(GAP_X * 0.75, Math.max(12, (x2 - x1) / 2));
      const d = y1 === y2 ? `M ${x1} ${y1} L ${x2} ${y2}` : `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x1 + bend * 0.25} ${y2}, ${x1 + bend} ${y2} L ${x2} ${y2}`;
      const path = svg("path", { d, class: "pxw-sg-edge", "marker-end": arrow });
      path.dataset.source = e.source;
      path.dataset.target = e.target;
      if (e.target === PENDING_ID) path.classList.add("pxw-sg-edge-pending");
      layer.appendChild(path);
      this.edgeEls.push(path);
    }
    return layer;
  }

  private place(box: HTMLElement, id: string): void {
    const p = this.pos(id);
    if (!p) return;
    box.style.left = `${p.x}px`;
    box.style.top = `${p.y}px`;
    box.style.width = `${NODE_W}px`;
    box.style.height = `${NODE_H}px`;
  }

  private nodeBox(n: StageNode): HTMLElement {
    const isSource = n.kind === "source";
    const where = n.column ? `${n.table} · column ${n.column}` : n.table;
    const definition = n.definition || (isSource ? n.table : "");
    const rowsText = n.rows === null || n.rows === undefined ? "? rows" : `${fmtCount(n.rows)} ${n.rows === 1 ? "row" : "rows"}`;
    const errors = typeof n.errors === "number" && n.errors > 0 ? n.errors : 0;
    const errorBadge = errors
      ? h(
          "button",
          { type: "button", class: "pxw-sg-errors", testid: "pxw-stage-errors-count", title: `${fmtCount(errors)} rows with errors (${fmtRate(n.error_rate)} of the rows) — show them`, tabindex: -1 },
          `${fmtCount(errors)} ${errors === 1 ? "error" : "errors"}`,
        )
      : null;
    const errorRate = errors
      ? h("span", { class: "pxw-sg-rate", testid: "pxw-stage-error-rate", title: "Rows with errors / rows" }, fmtRate(n.error_rate))
      : null;
    errorBadge?.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.handlers.onSelect(n.id, { errorsOnly: true });
    });
    const time = isSource
      ? null
      : h(
          "span",
          {
            class: "pxw-sg-time",
            testid: "pxw-stage-time",
            title:
              n.compute_seconds === null || n.compute_seconds === undefined
                ? "Compute time unknown: measured only when pxwidgets adds a stage, in that Python session"
                : `Computing this stage took ${fmtSeconds(n.compute_seconds)}`,
          },
          `⏱ ${n.compute_seconds === null || n.compute_seconds === undefined ? "?" : fmtSeconds(n.compute_seconds)}`,
        );
    const problem = n.problem
      ? h("span", { class: "pxw-sg-problem", testid: "pxw-stage-problem", title: n.problem }, "⚠ problem")
      : null;
    const addBtn = h(
      "button",
      { type: "button", class: "pxw-sg-action pxw-sg-add", testid: "pxw-stage-add", "data-stage": n.id, title: `Add a stage after ${n.id}`, "aria-label": `Add a stage after ${n.id}`, tabindex: -1 },
      plusIcon(),
    );
    addBtn.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.handlers.onAdd(n.id);
    });
    let dropBtn: HTMLButtonElement | null = null;
    if (!isSource) {
      dropBtn = h(
        "button",
        { type: "button", class: "pxw-sg-action pxw-sg-drop", testid: "pxw-stage-drop", "data-stage": n.id, title: `Drop ${n.id}…`, "aria-label": `Drop ${n.id}`, tabindex: -1 },
        trashIcon(),
      );
      dropBtn.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.handlers.onDrop(n.id);
      });
    }
    const box = h(
      "div",
      {
        class: `pxw-sg-node pxw-sg-kind-${cssToken(n.kind)}${n.problem ? " pxw-sg-has-problem" : ""}`,
        testid: "pxw-stage-node",
        role: "option",
        "data-stage": n.id,
        "data-kind": n.kind,
        "aria-selected": "false",
        "aria-label": `${kindLabel(n.kind)} ${n.id}, ${rowsText}${errors ? `, ${errors} errors (${fmtRate(n.error_rate)})` : ""}${isSource ? "" : `, compute time ${fmtSeconds(n.compute_seconds)}`}`,
        "aria-keyshortcuts": isSource ? "Enter +" : "Enter + Delete",
        tabindex: -1,
      },
      h(
        "div",
        { class: "pxw-sg-top" },
        h("span", { class: "pxw-sg-kind", testid: "pxw-stage-kind" }, kindLabel(n.kind)),
        problem,
        h("span", { class: "pxw-spacer" }),
        time,
        n.id === this.graph.head ? h("span", { class: "pxw-sg-head", title: "New stages go after this one by default" }, "head") : null,
      ),
      h("div", { class: "pxw-sg-name", testid: "pxw-stage-name-label", title: `${n.id} — ${where}` }, n.id),
      h("div", { class: "pxw-sg-def", testid: "pxw-stage-definition", title: definition }, definition || "\u00a0"),
      h(
        "div",
        { class: "pxw-sg-foot" },
        h("span", { class: "pxw-sg-rows", testid: "pxw-stage-rows" }, rowsText),
        errorBadge,
        errorRate,
        h("span", { class: "pxw-spacer" }),
        dropBtn,
        addBtn,
      ),
    );
    box.addEventListener("click", () => this.handlers.onSelect(n.id));
    this.place(box, n.id);
    return box;
  }

  private pendingBox(p: Pending): HTMLElement {
    const box = h(
      "div",
      { class: "pxw-sg-node pxw-sg-pending", testid: "pxw-stage-pending", "data-stage": p.name, "aria-busy": "true" },
      h("div", { class: "pxw-sg-top" }, h("span", { class: "pxw-sg-kind" }, "ADDING"), h("span", { class: "pxw-spacer" }), h("span", { class: "pxw-sg-spinner", "aria-hidden": "true" })),
      h("div", { class: "pxw-sg-name", title: p.name }, p.name),
      h("div", { class: "pxw-sg-def" }, `after ${p.after}`),
    );
    this.place(box, PENDING_ID);
    return box;
  }

  /** Selection, the Add form's stage and a pending drop: attributes only, no re-render. */
  private decorate(): void {
    const focusable = this.boxes.get(this.selected) ?? this.boxes.get(this.graph.head) ?? this.boxes.values().next().value;
    for (const [id, box] of this.boxes) {
      const on = id === this.selected;
      box.setAttribute("aria-selected", String(on));
      box.classList.toggle("pxw-sg-selected", on);
      box.classList.toggle("pxw-sg-after", id === this.after);
      box.classList.toggle("pxw-sg-doomed", this.doomed.has(id));
      box.tabIndex = box === focusable ? 0 : -1;
      const drop = box.querySelector<HTMLButtonElement>(".pxw-sg-drop");
      drop?.classList.toggle("pxw-sg-busy", id === this.busyDrop);
    }
    for (const path of this.edgeEls) {
      const hot = path.dataset.source === this.selected || path.dataset.target === this.selected;
      path.classList.toggle("pxw-sg-edge-hot", hot);
      path.classList.toggle("pxw-sg-edge-doomed", this.doomed.has(path.dataset.target ?? ""));
    }
  }

  /** Arrow keys move between stages (right: reader, left: input, up/down: same column); Enter selects; + adds. */
  private onKey(ev: KeyboardEvent): void {
    const target = (ev.target as HTMLElement).closest<HTMLElement>(".pxw-sg-node[data-testid='pxw-stage-node']");
    if (!target) return;
    const id = target.dataset.stage ?? "";
    const slot = this.slots.get(id);
    if (!slot) return;
    let next: string | undefined;
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      this.handlers.onSelect(id);
      return;
    }
    if (ev.key === "+") {
      ev.preventDefault();
      this.handlers.onAdd(id);
      return;
    }
    if (ev.key === "Delete" && this.node(id)?.kind !== "source") {
      ev.preventDefault();
      this.handlers.onDrop(id);
      return;
    }
    const all = [...this.slots.entries()].filter(([k]) => this.boxes.has(k));
    if (ev.key === "ArrowRight") next = this.graph.edges.find((e) => e.source === id && this.slots.get(e.target)?.row === slot.row)?.target ?? this.graph.edges.find((e) => e.source === id)?.target;
    else if (ev.key === "ArrowLeft") next = this.parentsOf(id)[0];
    else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const down = ev.key === "ArrowDown";
      const same = all.filter(([, s]) => s.depth === slot.depth && (down ? s.row > slot.row : s.row < slot.row));
      same.sort((a, b) => (down ? a[1].row - b[1].row : b[1].row - a[1].row));
      next = same[0]?.[0];
    } else return;
    ev.preventDefault();
    if (next && this.boxes.has(next)) {
      for (const box of this.boxes.values()) box.tabIndex = -1;
      this.boxes.get(next)!.tabIndex = 0;
      this.focus(next);
    }
  }
}

function cssToken(s: string): string {
  return s.replace(/[^a-z0-9_-]/gi, "_");
}

function plusIcon(): SVGSVGElement {
  const el = svg("svg", { viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true", class: "pxw-icon" });
  el.appendChild(svg("path", { d: "M8 3v10M3 8h10" }));
  return el;
}

function trashIcon(): SVGSVGElement {
  const el = svg("svg", { viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true", class: "pxw-icon" });
  for (const d of ["M2.5 4.5h11", "M6 4.5V2.8h4v1.7", "M4 4.5l.8 9h6.4l.8-9", "M6.7 7v4.5M9.3 7v4.5"]) el.appendChild(svg("path", { d }));
  return el;
}
