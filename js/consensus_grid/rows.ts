// The ConsensusGrid's rows in the shared grid (lib/grid.ts): the input, one column per model (its label with its
// confidence, or its boxes drawn over the image in the model's colour), the consensus, the agreement and the ground
// truth; rows marked by how the models agree; each model's header with its colour, its score and the best-model badge,
// and (for detections) a box that shows or hides the model's boxes on every row.

import type { Json } from "../lib/contract";
import { h, svg, type Child } from "../lib/dom";
import type { GridColumn, PageContext } from "../lib/grid";
import type { ConsensusInfo, ConsensusRow, Detections, ModelCell, RowsRequest, SummaryReply } from "./contract";

export const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f"];
/** The colour of the fused (consensus) boxes, drawn dashed. */
export const FUSED = "#f5c400";
export const FUSED_KEY = "__fused";

export function num(value: Json | undefined, digits = 3): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}

export function pct(value: Json | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 100)}%` : "—";
}

export function text(value: Json | undefined): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export interface BoxSet {
  det: Detections;
  color: string;
  key: string;
  dashed?: boolean;
}

/** Boxes drawn over an image: an SVG in the original image's pixel space, scaled with the image. */
export function boxLayer(sets: BoxSet[], width: number, height: number, hidden: ReadonlySet<string> = new Set()): SVGSVGElement {
  const layer = svg("svg", { class: "pxw-cg-boxes", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", "aria-hidden": "true" });
  const stroke = Math.max(1, Math.round(Math.max(width, height) / 160));
  for (const set of sets) {
    const g = svg("g", { "data-set": set.key });
    if (hidden.has(set.key)) g.style.display = "none";
    for (const box of set.det.bboxes ?? []) {
      const [x1, y1, x2, y2] = box;
      const rect = svg("rect", {
        x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1),
        fill: "none", stroke: set.color, "stroke-width": set.dashed ? stroke * 1.6 : stroke,
      });
      if (set.dashed) rect.setAttribute("stroke-dasharray", `${stroke * 4} ${stroke * 2}`);
      g.appendChild(rect);
    }
    layer.appendChild(g);
  }
  return layer;
}

/** Show or hide one set of boxes (a model's, or the fused ones) in every box layer under `root`. */
export function showBoxes(root: ParentNode, key: string, on: boolean): void {
  for (const g of Array.from(root.querySelectorAll<SVGGElement>(`g[data-set="${CSS.escape(key)}"]`))) g.style.display = on ? "" : "none";
}

/** Every model's boxes of a row (and the fused ones), each in its colour. */
export function rowBoxSets(row: ConsensusRow, info: ConsensusInfo | null, color: (name: string) => string): BoxSet[] {
  const sets: BoxSet[] = (info?.models ?? []).flatMap((m) => {
    const det = row.models[m.name]?.detections;
    return det ? [{ det, color: color(m.name), key: m.name }] : [];
  });
  if (row.consensus?.bboxes) sets.push({ det: row.consensus as unknown as Detections, color: FUSED, key: FUSED_KEY, dashed: true });
  return sets;
}

/** What the rows' renderers read: the consensus, the latest summary, the models whose boxes are hidden. */
export interface RowsState {
  info: ConsensusInfo | null;
  summary: SummaryReply | null;
  hiddenBoxes: Set<string>;
  color: (name: string) => string;
  /** A model's (or the fused) boxes were shown or hidden from its header. */
  onToggleBoxes: (key: string, on: boolean) => void;
}

const MODEL = "model:";

function dissents(row: ConsensusRow, name: string): boolean {
  const dissent = row.consensus?.dissent;
  return Array.isArray(dissent) && dissent.includes(name);
}

function isWrong(row: ConsensusRow): boolean {
  const cons = row.consensus;
  return Boolean(cons) && "truth" in row && row.truth !== null && row.truth !== undefined && !cons?.tie && String(cons?.label) !== String(row.truth);
}

function inputCell(row: ConsensusRow, url: string | null, s: RowsState): Child {
  if (!url || !row.image) return h("span", { class: "pxw-dim" }, row.image_error ?? row.input_text ?? "—");
  const img = h("img", { src: url, alt: `row ${row.index}`, class: "pxw-cg-thumb" });
  if (s.info?.kind !== "detections") return img;
  return h("div", { class: "pxw-cg-mini" }, img, boxLayer(rowBoxSets(row, s.info, s.color), row.image.width, row.image.height, s.hiddenBoxes));
}

function modelCell(name: string, cell: ModelCell | undefined, row: ConsensusRow, url: string | null, s: RowsState): Child {
  if (!cell) return null;
  if (cell.error) return h("span", { class: "pxw-cg-err" }, `⚠ ${cell.error.errortype}`);
  if (s.info?.kind === "detections") {
    const det = cell.detections;
    const count = h("div", { class: "pxw-cg-count" }, det ? `${det.bboxes.length} box${det.bboxes.length === 1 ? "" : "es"}` : "—");
    if (!(url && row.image && det)) return count;
    const mini = h("div", { class: "pxw-cg-mini" }, h("img", { src: url, alt: "" }), boxLayer([{ det, color: s.color(name), key: name }], row.image.width, row.image.height, s.hiddenBoxes));
    return h("div", null, mini, count);
  }
  return h(
    "span",
    null,
    h("span", { class: "pxw-cg-label" }, text(cell.label ?? null)),
    typeof cell.confidence === "number" ? h("span", { class: "pxw-cg-conf" }, ` ${pct(cell.confidence)}`) : null,
  );
}

function consensusCell(row: ConsensusRow, s: RowsState): Child {
  const cons = row.consensus;
  if (!cons) return h("span", { class: "pxw-dim" }, "—");
  if (s.info?.kind === "detections") return `${((cons.votes as number[] | undefined) ?? []).length} fused`;
  if (cons.tie) return h("span", null, h("span", { class: "pxw-cg-tie-badge" }, "tie "), text((cons.tied as Json[]).join(" / ")));
  return h("strong", null, text(cons.label));
}

function agreementCell(row: ConsensusRow): Child {
  const value = row.consensus?.agreement;
  const ratio = typeof value === "number" ? value : 0;
  return h(
    "span",
    { class: "pxw-cg-agree" },
    h("span", { class: "pxw-cg-bar" }, h("span", { class: "pxw-cg-bar-fill", style: `width:${Math.round(ratio * 100)}%` })),
    ` ${pct(value ?? null)}`,
  );
}

/** The grid's columns for the consensus on screen. */
export function rowColumns(s: RowsState): GridColumn<ConsensusRow>[] {
  const info = s.info;
  // one object URL per row's image, shared by its cells (the grid revokes them with the page)
  const urls = new WeakMap<ConsensusRow, string | null>();
  const image = (row: ConsensusRow, ctx: PageContext): string | null => {
    if (!urls.has(row)) urls.set(row, row.image ? ctx.urls.fromBuffer(ctx.buffers, row.image.buffer, row.image.mime) : null);
    return urls.get(row) ?? null;
  };
  const cols: GridColumn<ConsensusRow>[] = [
    { key: "input", label: info?.input ?? "input", render: (row, ctx) => inputCell(row, image(row, ctx), s), cellAttrs: () => ({ class: "pxw-cg-input" }) },
    ...(info?.models ?? []).map((m): GridColumn<ConsensusRow> => ({
      key: `${MODEL}${m.name}`,
      label: m.name,
      title: m.definition,
      accent: s.color(m.name),
      render: (row, ctx) => modelCell(m.name, row.models[m.name], row, image(row, ctx), s),
      cellAttrs: (row) => {
        const cell = row.models[m.name];
        const classes = ["pxw-cg-cell", dissents(row, m.name) ? "pxw-cg-dissent" : "", cell?.error ? "pxw-cg-error" : ""];
        return { testid: `pxw-cg-cell-${m.name}`, class: classes.filter(Boolean).join(" "), title: cell?.error ? `${cell.error.errortype}: ${cell.error.errormsg}` : undefined };
      },
    })),
    {
      key: "consensus",
      accent: info?.kind === "detections" ? FUSED : undefined,
      render: (row) => consensusCell(row, s),
      cellAttrs: (row) => {
        const tie = Boolean(row.consensus?.tie) && info?.kind !== "detections";
        return { testid: "pxw-cg-consensus", class: `pxw-cg-cell pxw-cg-consensus${tie ? " pxw-cg-tie" : ""}${isWrong(row) && info?.kind !== "detections" ? " pxw-cg-wrong" : ""}` };
      },
    },
    { key: "agreement", sortable: true, title: "Sort by agreement (least first, most first, table order)", render: (row) => agreementCell(row), cellAttrs: () => ({ testid: "pxw-cg-agreement", class: "pxw-cg-cell" }) },
  ];
  if (info?.ground_truth) {
    cols.push({ key: "truth", meta: info.ground_truth, render: (row) => text(row.truth ?? null), cellAttrs: () => ({ testid: "pxw-cg-truth", class: "pxw-cg-cell" }) });
  }
  return cols;
}

/** Row classes: how the models agree on the row. */
export function rowClass(row: ConsensusRow, s: RowsState): string {
  const cons = row.consensus;
  const agreement = typeof cons?.agreement === "number" ? cons.agreement : null;
  const failed = Object.values(row.models).some((c) => c.error);
  return [
    "pxw-cg-row",
    agreement !== null && agreement < 1 ? "pxw-cg-disagreement" : "",
    cons?.tie && s.info?.kind !== "detections" ? "pxw-cg-tie-row" : "",
    isWrong(row) && s.info?.kind !== "detections" ? "pxw-cg-wrong-row" : "",
    failed ? "pxw-cg-failed-row" : "",
  ].filter(Boolean).join(" ");
}

const METRIC_SHORT: Record<string, string> = { accuracy: "acc", f1: "F1", agreement_with_consensus: "agrees" };

/** A model's score in its header (accuracy, F1 or agreement with the consensus), ★ on the best model. */
function scoreBadge(name: string, summary: SummaryReply | null): Child {
  const entry = summary?.metrics.find((m) => m.model === name && m.kind !== "consensus");
  if (!summary || !entry) return null;
  const metric = typeof entry[summary.best_metric] === "number" ? summary.best_metric : "agreement_with_consensus";
  const value = entry[metric];
  if (typeof value !== "number") return null;
  const best = summary.best === name;
  return h(
    "span",
    { class: `pxw-cg-score${best ? " pxw-cg-score-best" : ""}`, testid: `pxw-cg-score-${name}`, title: `${metric.replace(/_/g, " ")} ${num(value)}${best ? " — the best model" : ""}` },
    `${best ? "★ " : ""}${METRIC_SHORT[metric] ?? metric} ${pct(value)}`,
  );
}

function boxToggle(key: string, label: string, s: RowsState): HTMLElement {
  const box = h("input", { type: "checkbox", testid: `pxw-cg-boxes-${key}`, "aria-label": `Show the boxes of ${label}` }) as HTMLInputElement;
  box.checked = !s.hiddenBoxes.has(key);
  box.addEventListener("change", () => s.onToggleBoxes(key, box.checked));
  return h("label", { class: "pxw-cg-box-toggle", title: `Show or hide the boxes of ${label} on every row` }, box, "boxes");
}

/** Header badges: each model's score and best-model star, and (detections) the toggle of its boxes. */
export function headerBadge(column: GridColumn<ConsensusRow>, s: RowsState): Child {
  const detections = s.info?.kind === "detections";
  if (column.key === "consensus") return detections ? boxToggle(FUSED_KEY, "the fused consensus", s) : null;
  if (!column.key.startsWith(MODEL)) return null;
  const name = column.key.slice(MODEL.length);
  const score = scoreBadge(name, s.summary);
  if (!detections) return score;
  return h("span", { class: "pxw-cg-badges" }, boxToggle(name, name, s), score);
}

/** A cell of a model's confusion matrix: the rows whose reference is `actual` and whose model label is `predicted`. */
export interface ConfusionCell {
  model: string;
  reference: string;
  actual: string;
  predicted: string;
}

/** The rows query of a confusion cell (what a click on the heatmap asks for). */
export function cellQuery(cell: ConfusionCell): Partial<RowsRequest> {
  return { filter: "confusion", model: cell.model, reference: cell.reference, actual: cell.actual, predicted: cell.predicted };
}

/** How the filter picker names a confusion cell. */
export function cellLabel(cell: ConfusionCell): string {
  const ref = cell.reference === "consensus" ? "consensus" : "truth";
  return `${cell.model}: ${ref} ${cell.actual} → predicted ${cell.predicted}`;
}
