// ConsensusGrid: rows = inputs, one column per model, the consensus and its agreement; filters run in the kernel's
// database (disagreements, ties, consensus wrong, a model wrong, two models differ); a row opens large with every
// model's boxes toggleable; a summary tab (leaderboard, best model, kappa heatmap, quality against cost); models added
// by click (previewed first) and removed after confirming the plan; the Pixeltable code of every action.
// Talks to pxwidgets/panels/consensus_grid.py; traits hold only table / consensus_name / filter.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "../lib/grid.css";
import "./consensus_grid.css";
import { Chart } from "../lib/chart";
import { CodeBox } from "../lib/code";
import { ConfirmStrip } from "../lib/confirm";
import type { Json, TransformEntry } from "../lib/contract";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { CsvExport, withPandasCode } from "../lib/export";
import { GridView, PagedGrid, type GridColumn, type PageWindow } from "../lib/grid";
import { UrlPool } from "../lib/media";
import { ParamFields } from "../lib/param_form";
import type { Reply } from "../lib/rpc";
import { PanelShell, Superseded } from "../lib/shell";
import type {
  AddReply,
  ClassScore,
  CodeReply,
  ConfusionReply,
  ConsensusInfo,
  CountReply,
  CurvesReply,
  SuspectsReply,
  ConsensusRow,
  PreviewReply,
  PreviewRow,
  RemovePlanReply,
  RemoveReply,
  RowReply,
  RowsReply,
  RowsRequest,
  SummaryReply,
  TransformsReply,
} from "./contract";
import { boxLayer, cellLabel, cellQuery, COLORS, type ConfusionCell, FUSED_KEY, headerBadge, num, pct, rowBoxSets, rowClass, rowColumns, showBoxes, text, type RowsState } from "./rows";

interface Traits {
  table: string;
  consensus_name: string;
  filter: string;
  last_error: string;
}

const PAGE = 25;

const FILTER_LABELS: Record<string, string> = {
  all: "All rows",
  disagreements: "Disagreements only",
  ties: "Ties",
  consensus_wrong: "Consensus wrong (vs ground truth)",
  model_wrong: "A model wrong (vs ground truth)",
  models_differ: "Two models differ",
  model_failed: "A model failed",
  confusion: "A confusion cell",
  suspects: "Suspect labels (cleanlab)",
};

/** The rows query: a filter, an order and a page. */
type RowsQuery = RowsRequest & PageWindow;

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  let info: ConsensusInfo | null = null;
  const detailUrls = new UrlPool();
  let transforms: TransformEntry[] = [];
  let fields: ParamFields | null = null;
  let summary: SummaryReply | null = null;
  let summaryShown: SummaryReply | null = null;
  let summaryStale = true;
  let summaryLoading = false;

  const color = (name: string) => COLORS[Math.max(0, info?.models.findIndex((m) => m.name === name) ?? 0) % COLORS.length];
  const isDetections = () => info?.kind === "detections";

  // ---- rows tab ------------------------------------------------------------------------------------------------
  const filterSelect = select([], { testid: "pxw-cg-filter", "aria-label": "Which rows" });
  const modelSelect = select([], { testid: "pxw-cg-model", "aria-label": "Model" });
  const otherSelect = select([], { testid: "pxw-cg-other", "aria-label": "Second model" });
  const orderSelect = select(
    [["table", "table order"], ["agreement-asc", "least agreement first"], ["agreement-desc", "most agreement first"]],
    { testid: "pxw-cg-order", "aria-label": "Sort" },
  );
  const rowsState: RowsState = {
    info: null,
    summary: null,
    hiddenBoxes: new Set(),
    color,
    onToggleBoxes: (key, on) => {
      if (on) rowsState.hiddenBoxes.delete(key);
      else rowsState.hiddenBoxes.add(key);
      showBoxes(grid.el, key, on);
    },
  };
  const grid: PagedGrid<RowsQuery, ConsensusRow, RowsReply> = new PagedGrid<RowsQuery, ConsensusRow, RowsReply>({
    query: { filter: String(model.get("filter") || "all"), order: "table", asc: true, offset: 0, limit: PAGE },
    idPrefix: "pxw-cg",
    // the page first (its count left out), then its count: the rows are on screen before a big table is counted
    fetchPage: async (q): Promise<Reply<RowsReply>> => {
      replace(countNote, "counting…");
      countNote.dataset.state = "counting";
      const reply: Reply<RowsReply> | null = await shell.call<RowsReply>("rows", { ...q, count: false }, { progress: false, rethrow: true });
      if (!reply) throw new Superseded("rows");
      return reply;
    },
    fetchCount: async (q): Promise<number> => {
      const { offset: _o, limit: _l, ...query } = q;
      const reply = await shell.call<CountReply>("count", query, { key: "count", progress: false, rethrow: true });
      if (!reply) throw new Superseded("count");
      replace(countNote, `${fmtCount(reply.payload.total)} rows match · counted in ${Math.round(reply.payload.elapsed_ms)} ms`);
      countNote.dataset.state = "counted";
      return reply.payload.total;
    },
    columns: () => rowColumns(rowsState),
    sort: {
      of: (q) => (q.order === "agreement" ? { column: "agreement", asc: q.asc !== false } : null),
      by: (order) => (order ? { order: "agreement", asc: order.asc } : { order: "table", asc: true }),
    },
    emptyText: "No rows match.",
    rowNumber: (row) => String(row.index),
    rowClass: (row) => rowClass(row, rowsState),
    rowAttrs: (row) => ({ testid: "pxw-cg-row", "aria-label": `row ${row.index}` }),
    headerBadge: (column) => headerBadge(column, rowsState),
    onRowClick: (row) => void openRow(row.index),
    onError: (err) => shell.showError(err),
    onPage: (page, q) => {
      model.set("filter", q.filter ?? "all");
      model.save_changes();
      rowsCode.set(page.code);
      exporter.setCode(withPandasCode(page.code, page.pandas_code));
      if (summaryStale && !summaryLoading && info?.models.length) void loadSummary();
    },
    onQuery: (q) => {
      filterSelect.value = q.filter ?? "all";
      orderSelect.value = q.order === "agreement" ? `agreement-${q.asc === false ? "desc" : "asc"}` : "table";
      syncFilterControls();
    },
  });
  const countNote = h("span", { class: "pxw-dim pxw-cg-count", testid: "pxw-cg-count", "aria-live": "polite" });
  const detail = h("div", { class: "pxw-cg-detail", testid: "pxw-cg-detail", hidden: true });
  const rowsCode = new CodeBox("The Pixeltable query of this page");
  // Download CSV of every row the filter keeps (a confusion cell, suspects …), in the grid's order, every column
  const exporter: CsvExport = new CsvExport({ shell: () => shell, query: () => grid.query, idPrefix: "pxw-cg" });
  const rowsTab = h(
    "div",
    { class: "pxw-cg-rows-tab" },
    h("div", { class: "pxw-cg-toolbar" }, filterSelect, modelSelect, otherSelect, h("label", { class: "pxw-dim" }, "sort ", orderSelect), countNote),
    exporter.el,
    h("div", { class: "pxw-cg-main" }, h("div", { class: "pxw-cg-grid-box" }, grid.el), detail),
    rowsCode.el,
  );

  // ---- summary tab ---------------------------------------------------------------------------------------------
  const bestBadge = h("span", { class: "pxw-cg-best", testid: "pxw-cg-best" });
  const summaryFacts = h("span", { class: "pxw-dim", testid: "pxw-cg-summary-facts" });
  const metrics = new GridView<Record<string, Json>>({
    idPrefix: "pxw-cg-metrics",
    testid: "pxw-cg-metrics",
    rowNumber: false,
    emptyText: "No model has output yet.",
    rowClass: (m) => (m.kind === "consensus" ? "pxw-cg-consensus-row" : m.model === summary?.best ? "pxw-cg-best-row" : ""),
    rowAttrs: () => ({ testid: "pxw-cg-metric-row" }),
  });
  const leaderboard = new Chart("pxw-cg-leaderboard");
  const kappaChart = new Chart("pxw-cg-kappa");
  const costChart = new Chart("pxw-cg-cost");
  // a model's confusion matrix: a click on a cell opens exactly its rows (a filter run in the database)
  let cell: ConfusionCell | null = null;
  let confusion: ConfusionReply | null = null;
  const confModel = select([], { testid: "pxw-cg-conf-model", "aria-label": "Confusion matrix of" });
  const confRef = select([["auto", "vs ground truth (or consensus)"], ["truth", "vs ground truth"], ["consensus", "vs consensus"]], { testid: "pxw-cg-conf-ref", "aria-label": "Against" });
  const confChart = new Chart("pxw-cg-confusion");
  const confNote = h("span", { class: "pxw-dim", testid: "pxw-cg-conf-note" });
  const report = new GridView<ClassScore>({ idPrefix: "pxw-cg-report", testid: "pxw-cg-report", rowNumber: false, emptyText: "No labelled rows.", rowAttrs: () => ({ testid: "pxw-cg-report-row" }) });
  report.setColumns([
    { key: "label", label: "class", render: (r) => r.label },
    { key: "precision", numeric: true, render: (r) => num(r.precision) },
    { key: "recall", numeric: true, render: (r) => num(r.recall) },
    { key: "f1", label: "F1", numeric: true, render: (r) => num(r.f1) },
    { key: "support", numeric: true, render: (r) => fmtCount(r.support) },
  ]);
  let confBound = false;
  const suspectsBtn = button("Find suspect labels (cleanlab)", () => void findSuspects(), { testid: "pxw-cg-find-suspects", title: "Score every ground-truth label with cleanlab, from the models' confidences (adds a column)" });
  const suspectsNote = h("span", { class: "pxw-dim", testid: "pxw-cg-suspects-note" });
  const confBox = h(
    "div",
    { class: "pxw-cg-confusion", testid: "pxw-cg-confusion-box" },
    h("h4", { class: "pxw-cg-h" }, "Confusion matrix"),
    h("div", { class: "pxw-cg-add-row" }, confModel, confRef, confNote),
    h("div", { class: "pxw-cg-charts" }, confChart.el, report.el),
    h("h4", { class: "pxw-cg-h" }, "Suspect labels"),
    h("div", { class: "pxw-cg-add-row" }, suspectsBtn, suspectsNote),
  );
  const prChart = new Chart("pxw-cg-pr");
  const prNote = h("div", { class: "pxw-dim", testid: "pxw-cg-pr-best" });
  const prBox = h("div", { class: "pxw-cg-pr", hidden: true }, h("h4", { class: "pxw-cg-h" }, "Precision–recall over score thresholds"), prNote, prChart.el);
  const summaryTab = h(
    "div",
    { class: "pxw-cg-summary" },
    h("div", { class: "pxw-cg-summary-head" }, bestBadge, summaryFacts),
    metrics.el,
    h("div", { class: "pxw-cg-charts" }, leaderboard.el, kappaChart.el, costChart.el),
    confBox,
    prBox,
  );

  // ---- models tab ----------------------------------------------------------------------------------------------
  const modelsList = h("div", { class: "pxw-cg-models", testid: "pxw-cg-models" });
  const confirm = new ConfirmStrip();
  const nameInput = h("input", { type: "text", class: "pxw-input", testid: "pxw-cg-new-name", placeholder: "model name", "aria-label": "New model name", spellcheck: "false" }) as HTMLInputElement;
  const transformSelect = select([], { testid: "pxw-cg-transform", "aria-label": "Transform" });
  const transformNote = h("div", { class: "pxw-dim pxw-cg-note" });
  const paramsBox = h("div", { class: "pxw-cg-params" });
  const previewBtn = button("Preview on 5 rows", () => void preview(), { testid: "pxw-cg-preview" });
  const addBtn = button("Add model", () => void add(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-cg-add" });
  const previewBox = h("div", { class: "pxw-cg-preview", testid: "pxw-cg-preview-rows" });
  const previewGrid = new GridView<PreviewRow>({ idPrefix: "pxw-cg-preview", rowAttrs: () => ({ testid: "pxw-cg-preview-row" }), emptyText: "No rows to preview on." });
  previewGrid.setColumns([
    { key: "output", render: (r) => (r.error ? h("span", { class: "pxw-cg-err" }, `⚠ ${r.error}`) : "label" in r ? h("span", { class: "pxw-cg-label" }, text(r.label ?? null)) : `${r.boxes ?? 0} boxes`) },
    { key: "confidence", numeric: true, render: (r) => (typeof r.confidence === "number" ? pct(r.confidence) : "") },
  ]);
  const modelsTab = h(
    "div",
    { class: "pxw-cg-models-tab" },
    confirm.el,
    modelsList,
    h("h4", { class: "pxw-cg-h" }, "Add a model"),
    h("div", { class: "pxw-cg-add-row" }, nameInput, transformSelect),
    transformNote,
    paramsBox,
    h("div", { class: "pxw-cg-add-row" }, previewBtn, addBtn),
    previewBox,
  );

  // ---- code tab ------------------------------------------------------------------------------------------------
  const lastCode = new CodeBox("The code of the last action");
  const allCode = new CodeBox("Plain Pixeltable code of this consensus's columns");
  const codeTab = h("div", { class: "pxw-cg-code" }, lastCode.el, allCode.el);

  const shell: PanelShell = new PanelShell(model as AnyModel, {
    title: "Consensus",
    testid: "pxw-consensus-grid",
    tabs: [
      { name: "rows", label: "Rows", content: rowsTab },
      { name: "summary", label: "Summary", content: summaryTab, onShow: () => (summaryStale ? void loadSummary() : showSummary()) },
      { name: "models", label: "Models", content: modelsTab, onShow: () => void loadTransforms() },
      { name: "code", label: "Code", content: codeTab, onShow: () => void loadCode() },
    ],
  });
  el.replaceChildren(shell.el);

  // ---- state ---------------------------------------------------------------------------------------------------
  function showInfo(next: ConsensusInfo): void {
    info = rowsState.info = next;
    shell.setBadges(
      h("span", { class: "pxw-cg-chip", testid: "pxw-cg-path" }, next.path),
      h("span", { class: "pxw-cg-chip" }, `${fmtCount(next.rows)} rows`),
      h("span", { class: "pxw-cg-chip" }, `${next.models.length} models · ${next.kind ?? "no output yet"}`),
      next.ground_truth ? h("span", { class: "pxw-cg-chip" }, `truth: ${next.ground_truth}`) : null,
    );
    filterOptions();
    for (const s of [modelSelect, otherSelect, confModel]) {
      const prev = s.value;
      replace(s, ...next.models.map((m) => h("option", { value: m.name }, m.name)));
      if (next.models.some((m) => m.name === prev)) s.value = prev;
    }
    if (!otherSelect.value || otherSelect.value === modelSelect.value) otherSelect.selectedIndex = Math.min(1, next.models.length - 1);
    syncFilterControls();
    showModels();
    summaryStale = true;
  }

  function syncFilterControls(): void {
    const f = filterSelect.value;
    modelSelect.hidden = !["model_wrong", "models_differ", "model_failed"].includes(f);
    otherSelect.hidden = f !== "models_differ";
  }

  async function loadState(): Promise<void> {
    const reply = await shell.call<ConsensusInfo>("state", {}, { key: "state" });
    if (reply) showInfo(reply.payload);
  }

  // ---- rows ----------------------------------------------------------------------------------------------------
  /** The filter as the controls set it (the model pickers only where the filter reads them). */
  function filterQuery(): Partial<RowsQuery> {
    const filter = filterSelect.value || "all";
    if (filter === "confusion" && cell) return { ...cellQuery(cell), other: undefined };
    return {
      filter,
      model: modelSelect.hidden ? undefined : modelSelect.value,
      other: otherSelect.hidden ? undefined : otherSelect.value,
      reference: undefined,
      actual: undefined,
      predicted: undefined,
    };
  }

  /** The filter picker's options: every filter but "a confusion cell", which appears once a cell was clicked. */
  function filterOptions(): void {
    const filters = (info?.filters ?? []).filter((f) => f !== "confusion" || cell);
    const current = filterSelect.value || grid.query.filter || "all";
    replace(filterSelect, ...filters.map((f) => h("option", { value: f }, f === "confusion" && cell ? cellLabel(cell) : (FILTER_LABELS[f] ?? f))));
    filterSelect.value = filters.includes(current) ? current : "all";
  }

  /** Open a confusion cell's rows in the Rows tab. */
  function openCell(next: ConfusionCell, count: number): void {
    if (count === 0) {
      shell.showError(new Error(`No rows: where the ${next.reference === "consensus" ? "consensus" : "ground truth"} is ${next.actual}, ${next.model} never predicted ${next.predicted}.`));
      return;
    }
    cell = next;
    filterOptions();
    filterSelect.value = "confusion";
    syncFilterControls();
    shell.tabs?.show("rows");
    void loadRows(0);
  }

  async function loadConfusion(): Promise<void> {
    const name = confModel.value;
    if (!name || isDetections()) return;
    const reply = await shell.call<ConfusionReply>("confusion", { model: name, reference: confRef.value }, { key: "confusion", progress: false });
    if (!reply) return;
    confusion = reply.payload;
    confNote.textContent = `against the ${confusion.reference === "truth" ? "ground truth" : "consensus"} · ${confusion.elapsed_ms} ms · click a cell for its rows`;
    report.setRows(confusion.report);
    await confChart.update(confusion.figure);
    if (!confBound) {
      const plot = confChart.el as HTMLElement & { on?: (event: string, fn: (e: { points?: { x?: unknown; y?: unknown; z?: unknown }[] }) => void) => void };
      plot.on?.("plotly_click", (e) => {
        const p = e.points?.[0];
        if (!p || !confusion) return;
        openCell({ model: confusion.model, reference: confusion.reference, actual: String(p.y), predicted: String(p.x) }, Number(p.z ?? 0));
      });
      confBound = typeof plot.on === "function";
    }
  }

  async function loadCurves(): Promise<void> {
    if (!info?.ground_truth) {
      prNote.textContent = "Precision–recall curves need ground-truth boxes.";
      return;
    }
    const reply = await shell.call<CurvesReply>("pr_curves", {}, { key: "curves", progress: false });
    if (!reply) return;
    prNote.textContent = reply.payload.best.map((b) => (b.threshold === null ? `${b.model}: no boxes` : `${b.model}: best score ≥ ${num(b.threshold)} (F1 ${num(b.f1)}, precision ${num(b.precision)}, recall ${num(b.recall)})`)).join(" · ");
    await prChart.update(reply.payload.figure);
  }

  async function findSuspects(): Promise<void> {
    suspectsBtn.disabled = true;
    try {
      const reply = await shell.call<SuspectsReply>("find_suspects", {}, { key: "write" });
      if (!reply) return;
      const r = reply.payload;
      if (r.code) lastCode.set(r.code);
      showInfo(r.state);
      replace(
        suspectsNote,
        `${fmtCount(r.issues)} suspect labels among ${fmtCount(r.scored)} labelled rows (cleanlab) `,
        r.issues ? button("Show them", () => { filterSelect.value = "suspects"; syncFilterControls(); shell.tabs?.show("rows"); void loadRows(0); }, { class: "pxw-btn pxw-btn-small", testid: "pxw-cg-show-suspects" }) : null,
      );
    } finally {
      suspectsBtn.disabled = false;
    }
  }

  function orderQuery(): Partial<RowsQuery> {
    const [order, dir] = orderSelect.value.split("-");
    return { order, asc: dir !== "desc" };
  }

  function loadRows(offset = 0): Promise<boolean> {
    return grid.load({ ...filterQuery(), ...orderQuery(), offset });
  }

  async function openRow(index: number): Promise<void> {
    const { offset: _o, limit: _l, ...q } = grid.query;
    const reply = await shell.call<RowReply>("row", { ...q, index }, { key: "row", progress: false });
    if (!reply) return;
    detailUrls.revokeAll();
    const row = reply.payload.row;
    const url = row.image ? detailUrls.fromBuffer(reply.buffers, row.image.buffer, row.image.mime) : null;
    const close = button("×", () => (detail.hidden = true), { class: "pxw-btn pxw-btn-small", title: "Close", testid: "pxw-cg-detail-close" });
    const parts: HTMLElement[] = [h("div", { class: "pxw-cg-detail-head" }, h("strong", null, `Row ${row.index}`), h("span", { class: "pxw-spacer" }), close)];
    if (url && row.image) {
      const frame = h("div", { class: "pxw-cg-large" }, h("img", { src: url, alt: `row ${row.index}`, testid: "pxw-cg-large-img" }));
      if (isDetections()) {
        const sets = rowBoxSets(row, info, color);
        const layer = boxLayer(sets, row.image.width, row.image.height);
        frame.append(layer);
        const toggles = sets.map((s) => {
          const box = h("input", { type: "checkbox", testid: `pxw-cg-toggle-${s.key}` }) as HTMLInputElement;
          box.checked = true;
          box.addEventListener("change", () => showBoxes(layer, s.key, box.checked));
          return h("label", { class: "pxw-cg-toggle" }, box, h("span", { class: "pxw-cg-swatch", style: `background:${s.color}` }), s.key === FUSED_KEY ? "fused (kept)" : s.key);
        });
        parts.push(frame, h("div", { class: "pxw-cg-toggles" }, ...toggles));
      } else {
        parts.push(frame);
      }
    }
    const cons = row.consensus ?? {};
    const rows = (info?.models ?? []).map((m) => {
      const cell = row.models[m.name] ?? {};
      const dissent = Array.isArray(cons.dissent) && (cons.dissent as Json[]).includes(m.name);
      const value = cell.error ? `⚠ ${cell.error.errortype}: ${cell.error.errormsg}` : isDetections() ? `${cell.detections?.bboxes.length ?? 0} boxes` : text(cell.label ?? null);
      return h("tr", { class: dissent ? "pxw-cg-dissent" : "" }, h("td", null, h("span", { class: "pxw-cg-swatch", style: `background:${color(m.name)}` }), m.name), h("td", null, value), h("td", null, typeof cell.confidence === "number" ? pct(cell.confidence) : ""), h("td", null, dissent ? "dissents" : "agrees"));
    });
    parts.push(h("table", { class: "pxw-cg-detail-table" }, h("tbody", null, ...rows)));
    const facts: string[] = [];
    if (!isDetections()) facts.push(cons.tie ? `tie between ${text((cons.tied as Json[]) ?? [])}` : `consensus ${text(cons.label)}`);
    facts.push(`agreement ${pct(cons.agreement)}`);
    if (Array.isArray(cons.missing) && cons.missing.length) facts.push(`no output from ${(cons.missing as Json[]).join(", ")} (consensus uses the rest)`);
    for (const [k, label] of [["weighted_label", "confidence-weighted"], ["accuracy_weighted_label", "accuracy-weighted"], ["custom_label", "custom"]] as const) {
      if (k in row) facts.push(`${label} ${text(row[k] ?? null)}`);
    }
    if ("truth" in row) facts.push(`truth ${text(row.truth ?? null)}`);
    parts.push(h("div", { class: "pxw-cg-facts", testid: "pxw-cg-detail-facts" }, facts.join(" · ")));
    replace(detail, ...parts);
    detail.hidden = false;
  }

  // ---- summary -------------------------------------------------------------------------------------------------
  /** Ask for the summary: the models' scores go into the grid's headers, the rest into the Summary tab. */
  async function loadSummary(): Promise<void> {
    summaryLoading = true;
    try {
      const reply = await shell.call<SummaryReply>("summary", {}, { key: "summary", progress: shell.tabs?.active === "summary" });
      if (!reply) return;
      summaryStale = false;
      summary = rowsState.summary = reply.payload;
      grid.view.refreshHeader();
      if (shell.tabs?.active === "summary") showSummary();
    } finally {
      summaryLoading = false;
    }
  }

  function showSummary(): void {
    const s = summary;
    if (!s || s === summaryShown) return;
    summaryShown = s;
    replace(bestBadge, s.best ? `★ best model: ${s.best} (${s.best_metric})` : "no best model yet");
    const facts = [`${s.elapsed_ms} ms`, `from ${fmtCount(s.groups)} label combinations`];
    if (s.fleiss !== null) facts.unshift(`Fleiss' κ ${num(s.fleiss)} over ${fmtCount(s.fleiss_rows)} rows`);
    summaryFacts.textContent = facts.join(" · ");
    const names = ["model", "coverage", "accuracy", "precision", "recall", "f1", "agreement_with_consensus", "seconds_per_row", "failed_rows", "reference"].filter((c) => s.metrics.some((m) => c in m));
    const fmt = (c: string, v: Json) => (c === "seconds_per_row" ? (typeof v === "number" ? `${(v * 1000).toFixed(2)} ms` : "—") : c === "coverage" ? pct(v) : typeof v === "number" && !Number.isInteger(v) ? num(v) : text(v));
    const columns = names.map((c): GridColumn<Record<string, Json>> => ({
      key: c,
      label: c.replace(/_/g, " "),
      numeric: c !== "model" && c !== "reference",
      render: (m) => (c === "model" && m.model === s.best ? h("span", null, text(m.model), h("span", { class: "pxw-cg-score pxw-cg-score-best" }, " ★ best")) : fmt(c, m[c] ?? null)),
    }));
    metrics.setColumns(columns);
    metrics.setRows(s.metrics);
    void leaderboard.update(s.leaderboard);
    void kappaChart.update(s.kappa);
    kappaChart.el.hidden = s.kappa === null;
    void costChart.update(s.cost);
    confBox.hidden = s.kind === "detections";
    prBox.hidden = s.kind !== "detections";
    if (s.kind === "detections") void loadCurves();
    else void loadConfusion();
  }

  // ---- models --------------------------------------------------------------------------------------------------
  function showModels(): void {
    const models = info?.models ?? [];
    replace(
      modelsList,
      ...models.map((m) =>
        h(
          "div",
          { class: "pxw-cg-model", testid: "pxw-cg-model-entry" },
          h("span", { class: "pxw-cg-swatch", style: `background:${color(m.name)}` }),
          h("strong", null, m.name),
          h("code", { class: "pxw-cg-def" }, m.definition),
          h("span", { class: "pxw-dim" }, m.adopted ? "adopted column" : m.seconds_per_row !== null ? `${(m.seconds_per_row * 1000).toFixed(2)} ms/row` : ""),
          h("span", { class: "pxw-spacer" }),
          button("Remove…", () => void askRemove(m.name), { class: "pxw-btn pxw-btn-small", testid: `pxw-cg-remove-${m.name}` }),
        ),
      ),
      models.length ? null : h("div", { class: "pxw-dim" }, "No models yet: add one below."),
    );
  }

  async function askRemove(name: string): Promise<void> {
    const reply = await shell.call<RemovePlanReply>("remove_plan", { model: name });
    if (!reply) return;
    const plan = reply.payload.plan;
    confirm.ask({
      message: `Remove model ${name}? ${plan.steps.length} steps.`,
      detail: plan.text,
      confirmLabel: "Remove",
      onConfirm: async () => {
        const done = await shell.call<RemoveReply>("remove", { model: name, token: plan.token }, { key: "write" });
        if (!done) return;
        showInfo(done.payload.state);
        lastCode.set(done.payload.code);
        await loadRows(0);
      },
    });
  }

  async function loadTransforms(): Promise<void> {
    if (transforms.length) return;
    const reply = await shell.call<TransformsReply>("transforms", {}, { key: "transforms", progress: false });
    if (!reply) return;
    transforms = reply.payload.transforms;
    replace(transformSelect, ...transforms.map((t) => h("option", { value: t.name }, t.name)));
    showTransform();
  }

  function showTransform(): void {
    const t = transforms.find((x) => x.name === transformSelect.value);
    fields = t ? new ParamFields(t.params, () => replace(previewBox)) : null;
    transformNote.textContent = t ? `${t.description}${t.notes ? ` ${t.notes}` : ""}` : "No transform reads this input.";
    replace(paramsBox, fields?.el ?? null);
    replace(previewBox);
  }

  function formValues(): { transform: string; params: Record<string, Json> } | null {
    const read = fields?.values() ?? { params: {}, firstBad: null };
    if (read.firstBad) {
      read.firstBad.focus();
      return null;
    }
    return { transform: transformSelect.value, params: read.params };
  }

  async function preview(): Promise<void> {
    const values = formValues();
    if (!values) return;
    fields?.clearServerErrors();
    try {
      const reply = await shell.call<PreviewReply>("preview", { ...values, n: 5 }, { key: "preview", rethrow: true });
      if (!reply) return;
      previewGrid.setRows(reply.payload.rows);
      replace(previewBox, h("div", { class: "pxw-dim" }, "Preview (nothing written):"), previewGrid.el);
    } catch (err) {
      fields?.showServerErrors(err);
      shell.showError(err);
    }
  }

  async function add(): Promise<void> {
    const values = formValues();
    if (!values) return;
    const name = nameInput.value.trim();
    if (!name) {
      nameInput.focus();
      shell.showError(new Error("Give the new model a name."));
      return;
    }
    fields?.clearServerErrors();
    addBtn.disabled = true;
    try {
      const reply = await shell.call<AddReply>("add", { name, ...values }, { key: "write", rethrow: true });
      if (!reply) return;
      showInfo(reply.payload.state);
      lastCode.set(reply.payload.code);
      nameInput.value = "";
      replace(previewBox, h("div", { class: "pxw-good", testid: "pxw-cg-added" }, `Added ${reply.payload.model.name}.`));
      await loadRows(grid.query.offset); // the summary follows the new page (it is stale now)
    } catch (err) {
      fields?.showServerErrors(err);
      shell.showError(err);
    } finally {
      addBtn.disabled = false;
    }
  }

  async function loadCode(): Promise<void> {
    const reply = await shell.call<CodeReply>("code", {}, { key: "code", progress: false });
    if (!reply) return;
    allCode.set(reply.payload.code);
    if (reply.payload.last) lastCode.set(reply.payload.last);
  }

  // ---- wiring --------------------------------------------------------------------------------------------------
  filterSelect.addEventListener("change", () => {
    syncFilterControls();
    void loadRows(0);
  });
  for (const s of [modelSelect, otherSelect, orderSelect]) s.addEventListener("change", () => void loadRows(0));
  for (const s of [confModel, confRef]) s.addEventListener("change", () => void loadConfusion());
  transformSelect.addEventListener("change", showTransform);
  const refreshBtn = button("↻", () => void loadState().then(() => grid.reload()), {
    class: "pxw-btn pxw-btn-small",
    testid: "pxw-cg-refresh",
    title: "Read the table again (after inserts)",
  });
  shell.toolbar.append(refreshBtn);

  void loadState().then(() => {
    filterSelect.value = grid.query.filter ?? "all";
    syncFilterControls();
    return loadRows(0);
  });

  return () => {
    grid.dispose();
    metrics.dispose();
    report.dispose();
    confChart.dispose();
    prChart.dispose();
    previewGrid.dispose();
    detailUrls.revokeAll();
    for (const c of [leaderboard, kappaChart, costChart]) c.dispose();
    lastCode.dispose();
    allCode.dispose();
    rowsCode.dispose();
    exporter.dispose();
    shell.dispose();
  };
}

export default { render };
