// ConsensusGrid: rows = inputs, one column per model, the consensus and its agreement; filters run in the kernel's
// database (disagreements, ties, consensus wrong, a model wrong, two models differ); a row opens large with every
// model's boxes toggleable; a summary tab (leaderboard, best model, kappa heatmap, quality against cost); models added
// by click (previewed first) and removed after confirming the plan; the Pixeltable code of every action.
// Talks to pxwidgets/panels/consensus_grid.py; traits hold only table / consensus_name / filter.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "./consensus_grid.css";
import { Chart } from "../lib/chart";
import { CodeBox } from "../lib/code";
import { ConfirmStrip } from "../lib/confirm";
import type { Json, TransformEntry } from "../lib/contract";
import { button, fmtCount, h, replace, select, svg } from "../lib/dom";
import { UrlPool } from "../lib/media";
import { ParamFields } from "../lib/param_form";
import type { Reply } from "../lib/rpc";
import { PanelShell } from "../lib/shell";
import type {
  AddReply,
  CodeReply,
  ConsensusInfo,
  ConsensusRow,
  Detections,
  ModelCell,
  PreviewReply,
  RemovePlanReply,
  RemoveReply,
  RowReply,
  RowsReply,
  RowsRequest,
  SummaryReply,
  TransformsReply,
} from "./contract";

interface Traits {
  table: string;
  consensus_name: string;
  filter: string;
  last_error: string;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f"];
const FUSED = "#f5c400";
const PAGE = 25;

const FILTER_LABELS: Record<string, string> = {
  all: "All rows",
  disagreements: "Disagreements only",
  ties: "Ties",
  consensus_wrong: "Consensus wrong (vs ground truth)",
  model_wrong: "A model wrong (vs ground truth)",
  models_differ: "Two models differ",
  model_failed: "A model failed",
};

function num(value: Json | undefined, digits = 3): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}

function pct(value: Json | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value * 100)}%` : "—";
}

function text(value: Json | undefined): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Boxes drawn over an image: an SVG in the original image's pixel space, scaled with the image. */
function boxLayer(sets: { det: Detections; color: string; key: string; dashed?: boolean }[], width: number, height: number): SVGSVGElement {
  const layer = svg("svg", { class: "pxw-cg-boxes", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", "aria-hidden": "true" });
  const stroke = Math.max(1, Math.round(Math.max(width, height) / 160));
  for (const set of sets) {
    const g = svg("g", { "data-set": set.key });
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

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  let info: ConsensusInfo | null = null;
  let query: RowsRequest = { filter: String(model.get("filter") || "all"), order: "table", asc: true, offset: 0, limit: PAGE };
  let urls = new UrlPool();
  const detailUrls = new UrlPool();
  let transforms: TransformEntry[] = [];
  let fields: ParamFields | null = null;
  let summaryStale = true;

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
  const prevBtn = button("‹ Prev", () => void page(-1), { testid: "pxw-cg-prev" });
  const nextBtn = button("Next ›", () => void page(1), { testid: "pxw-cg-next" });
  const pageInfo = h("span", { class: "pxw-dim", testid: "pxw-cg-page-info" });
  const grid = h("table", { class: "pxw-cg-grid", testid: "pxw-cg-grid" });
  const detail = h("div", { class: "pxw-cg-detail", testid: "pxw-cg-detail", hidden: true });
  const rowsCode = new CodeBox("The Pixeltable query of this page");
  const rowsTab = h(
    "div",
    { class: "pxw-cg-rows-tab" },
    h("div", { class: "pxw-cg-toolbar" }, filterSelect, modelSelect, otherSelect, h("label", { class: "pxw-dim" }, "sort ", orderSelect), h("span", { class: "pxw-spacer" }), pageInfo, prevBtn, nextBtn),
    h("div", { class: "pxw-cg-main" }, h("div", { class: "pxw-cg-grid-box" }, grid), detail),
    rowsCode.el,
  );

  // ---- summary tab ---------------------------------------------------------------------------------------------
  const bestBadge = h("span", { class: "pxw-cg-best", testid: "pxw-cg-best" });
  const summaryFacts = h("span", { class: "pxw-dim", testid: "pxw-cg-summary-facts" });
  const metricsTable = h("table", { class: "pxw-cg-metrics", testid: "pxw-cg-metrics" });
  const leaderboard = new Chart("pxw-cg-leaderboard");
  const kappaChart = new Chart("pxw-cg-kappa");
  const costChart = new Chart("pxw-cg-cost");
  const summaryTab = h(
    "div",
    { class: "pxw-cg-summary" },
    h("div", { class: "pxw-cg-summary-head" }, bestBadge, summaryFacts),
    h("div", { class: "pxw-cg-metrics-box" }, metricsTable),
    h("div", { class: "pxw-cg-charts" }, leaderboard.el, kappaChart.el, costChart.el),
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

  const shell = new PanelShell(model as AnyModel, {
    title: "Consensus",
    testid: "pxw-consensus-grid",
    tabs: [
      { name: "rows", label: "Rows", content: rowsTab },
      { name: "summary", label: "Summary", content: summaryTab, onShow: () => void (summaryStale && loadSummary()) },
      { name: "models", label: "Models", content: modelsTab, onShow: () => void loadTransforms() },
      { name: "code", label: "Code", content: codeTab, onShow: () => void loadCode() },
    ],
  });
  el.replaceChildren(shell.el);

  // ---- state ---------------------------------------------------------------------------------------------------
  function showInfo(next: ConsensusInfo): void {
    info = next;
    shell.setBadges(
      h("span", { class: "pxw-cg-chip", testid: "pxw-cg-path" }, next.path),
      h("span", { class: "pxw-cg-chip" }, `${fmtCount(next.rows)} rows`),
      h("span", { class: "pxw-cg-chip" }, `${next.models.length} models · ${next.kind ?? "no output yet"}`),
      next.ground_truth ? h("span", { class: "pxw-cg-chip" }, `truth: ${next.ground_truth}`) : null,
    );
    const current = query.filter ?? "all";
    replace(filterSelect, ...next.filters.map((f) => h("option", { value: f }, FILTER_LABELS[f] ?? f)));
    filterSelect.value = next.filters.includes(current) ? current : "all";
    for (const s of [modelSelect, otherSelect]) {
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
  function readQuery(offset: number): RowsRequest {
    const [order, dir] = orderSelect.value.split("-");
    const f = filterSelect.value || "all";
    const q: RowsRequest = { filter: f, order, asc: dir !== "desc", offset, limit: PAGE };
    if (!modelSelect.hidden) q.model = modelSelect.value;
    if (!otherSelect.hidden) q.other = otherSelect.value;
    return q;
  }

  async function loadRows(offset = 0): Promise<void> {
    const q = readQuery(offset);
    const reply = await shell.call<RowsReply>("rows", q, { key: "rows", progress: false });
    if (!reply) return;
    query = q;
    model.set("filter", q.filter ?? "all");
    model.save_changes();
    showRows(reply);
  }

  async function page(step: number): Promise<void> {
    await loadRows(Math.max(0, (query.offset ?? 0) + step * PAGE));
  }

  function modelCellEl(name: string, cell: ModelCell | undefined, row: ConsensusRow, url: string | null): HTMLElement {
    const td = h("td", { class: "pxw-cg-cell", testid: `pxw-cg-cell-${name}` });
    const cons = row.consensus;
    const dissent = Array.isArray(cons?.dissent) && (cons?.dissent as Json[]).includes(name);
    if (dissent) td.classList.add("pxw-cg-dissent");
    if (!cell) return td;
    if (cell.error) {
      td.classList.add("pxw-cg-error");
      td.title = `${cell.error.errortype}: ${cell.error.errormsg}`;
      td.append(h("span", { class: "pxw-cg-err" }, `⚠ ${cell.error.errortype}`));
      return td;
    }
    if (isDetections()) {
      const det = cell.detections;
      if (url && row.image && det) {
        td.append(h("div", { class: "pxw-cg-mini" }, h("img", { src: url, alt: "" }), boxLayer([{ det, color: color(name), key: name }], row.image.width, row.image.height)));
      }
      td.append(h("div", { class: "pxw-cg-count" }, det ? `${det.bboxes.length} box${det.bboxes.length === 1 ? "" : "es"}` : "—"));
      return td;
    }
    td.append(h("span", { class: "pxw-cg-label" }, text(cell.label ?? null)));
    if (typeof cell.confidence === "number") td.append(h("span", { class: "pxw-cg-conf" }, ` ${pct(cell.confidence)}`));
    return td;
  }

  function consensusCell(row: ConsensusRow): HTMLElement {
    const cons = row.consensus;
    const td = h("td", { class: "pxw-cg-cell pxw-cg-consensus", testid: "pxw-cg-consensus" });
    if (!cons) {
      td.append(h("span", { class: "pxw-dim" }, "—"));
      return td;
    }
    if (isDetections()) {
      const votes = (cons.votes as number[] | undefined) ?? [];
      td.append(`${votes.length} fused`);
      return td;
    }
    if (cons.tie) {
      td.classList.add("pxw-cg-tie");
      td.append(h("span", { class: "pxw-cg-tie-badge" }, "tie "), text((cons.tied as Json[]).join(" / ")));
    } else {
      td.append(h("strong", null, text(cons.label)));
    }
    if ("truth" in row && row.truth !== null && row.truth !== undefined && !cons.tie && String(cons.label) !== String(row.truth)) {
      td.classList.add("pxw-cg-wrong");
    }
    return td;
  }

  function agreementCell(row: ConsensusRow): HTMLElement {
    const value = row.consensus?.agreement;
    const ratio = typeof value === "number" ? value : 0;
    return h(
      "td",
      { class: "pxw-cg-cell pxw-cg-agree", testid: "pxw-cg-agreement" },
      h("span", { class: "pxw-cg-bar" }, h("span", { class: "pxw-cg-bar-fill", style: `width:${Math.round(ratio * 100)}%` })),
      ` ${pct(value ?? null)}`,
    );
  }

  function showRows(reply: Reply<RowsReply>): void {
    const data = reply.payload;
    const old = urls.take();
    const models = info?.models ?? [];
    const truth = Boolean(info?.ground_truth);
    const head = h(
      "tr",
      null,
      h("th", null, "#"),
      h("th", null, info?.input ?? "input"),
      ...models.map((m) => h("th", { style: `border-bottom-color:${color(m.name)}` }, m.name)),
      h("th", null, "consensus"),
      h("th", null, "agreement"),
      truth ? h("th", null, "truth") : null,
    );
    const body = data.rows.map((row) => {
      const url = row.image ? urls.fromBuffer(reply.buffers, row.image.buffer, row.image.mime) : null;
      const input = h("td", { class: "pxw-cg-input" });
      if (url) input.append(h("img", { src: url, alt: `row ${row.index}`, class: "pxw-cg-thumb" }));
      else input.append(h("span", { class: "pxw-dim" }, row.image_error ?? row.input_text ?? "—"));
      const tr = h(
        "tr",
        { class: "pxw-cg-row", testid: "pxw-cg-row", tabindex: 0 },
        h("td", { class: "pxw-dim" }, String(row.index)),
        input,
        ...models.map((m) => modelCellEl(m.name, row.models[m.name], row, url)),
        consensusCell(row),
        agreementCell(row),
        truth ? h("td", { class: "pxw-cg-cell", testid: "pxw-cg-truth" }, text(row.truth ?? null)) : null,
      );
      tr.addEventListener("click", () => void openRow(row.index));
      tr.addEventListener("keydown", (ev) => ev.key === "Enter" && void openRow(row.index));
      return tr;
    });
    replace(grid, h("thead", null, head), h("tbody", null, ...body));
    if (!data.rows.length) grid.append(h("tbody", null, h("tr", null, h("td", { colspan: models.length + 5, class: "pxw-dim" }, "No rows match."))));
    old.revokeAll();
    const total = data.total ?? 0;
    const first = data.rows.length ? data.offset + 1 : 0;
    pageInfo.textContent = `${fmtCount(first)}–${fmtCount(data.offset + data.rows.length)} of ${fmtCount(total)} · ${data.elapsed_ms} ms`;
    prevBtn.disabled = data.offset <= 0;
    nextBtn.disabled = data.offset + data.rows.length >= total;
    rowsCode.set(data.code);
  }

  async function openRow(index: number): Promise<void> {
    const { offset: _o, limit: _l, ...q } = query;
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
        const sets = (info?.models ?? []).filter((m) => row.models[m.name]?.detections).map((m) => ({ det: row.models[m.name].detections as Detections, color: color(m.name), key: m.name }));
        if (row.consensus?.bboxes) sets.push({ det: row.consensus as unknown as Detections, color: FUSED, key: "__fused", dashed: true } as never);
        const layer = boxLayer(sets as never, row.image.width, row.image.height);
        frame.append(layer);
        const toggles = sets.map((s) => {
          const box = h("input", { type: "checkbox", testid: `pxw-cg-toggle-${s.key}` }) as HTMLInputElement;
          box.checked = true;
          box.addEventListener("change", () => {
            const g = layer.querySelector(`g[data-set="${CSS.escape(s.key)}"]`) as SVGGElement | null;
            if (g) g.style.display = box.checked ? "" : "none";
          });
          return h("label", { class: "pxw-cg-toggle" }, box, h("span", { class: "pxw-cg-swatch", style: `background:${s.color}` }), s.key === "__fused" ? "fused (kept)" : s.key);
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
  async function loadSummary(): Promise<void> {
    const reply = await shell.call<SummaryReply>("summary", {}, { key: "summary" });
    if (!reply) return;
    summaryStale = false;
    const s = reply.payload;
    replace(bestBadge, s.best ? `★ best model: ${s.best} (${s.best_metric})` : "no best model yet");
    const facts = [`${s.elapsed_ms} ms`, `from ${fmtCount(s.groups)} label combinations`];
    if (s.fleiss !== null) facts.unshift(`Fleiss' κ ${num(s.fleiss)} over ${fmtCount(s.fleiss_rows)} rows`);
    summaryFacts.textContent = facts.join(" · ");
    const columns = ["model", "coverage", "accuracy", "precision", "recall", "f1", "agreement_with_consensus", "seconds_per_row", "failed_rows", "reference"].filter((c) => s.metrics.some((m) => c in m));
    const fmt = (c: string, v: Json) => (c === "seconds_per_row" ? (typeof v === "number" ? `${(v * 1000).toFixed(2)} ms` : "—") : c === "coverage" ? pct(v) : typeof v === "number" && !Number.isInteger(v) ? num(v) : text(v));
    replace(
      metricsTable,
      h("thead", null, h("tr", null, ...columns.map((c) => h("th", null, c.replace(/_/g, " "))))),
      h("tbody", null, ...s.metrics.map((m) => h("tr", { class: m.kind === "consensus" ? "pxw-cg-consensus-row" : m.model === s.best ? "pxw-cg-best-row" : "", testid: "pxw-cg-metric-row" }, ...columns.map((c) => h("td", null, fmt(c, m[c] ?? null)))))),
    );
    void leaderboard.update(s.leaderboard);
    void kappaChart.update(s.kappa);
    kappaChart.el.hidden = s.kappa === null;
    void costChart.update(s.cost);
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
      const rows = reply.payload.rows;
      replace(
        previewBox,
        h("div", { class: "pxw-dim" }, "Preview (nothing written):"),
        h("table", { class: "pxw-cg-preview-table" }, h("tbody", null, ...rows.map((r, i) => h("tr", { testid: "pxw-cg-preview-row" }, h("td", { class: "pxw-dim" }, String(i)), h("td", null, r.error ? `⚠ ${r.error}` : "label" in r ? text(r.label ?? null) : `${r.boxes ?? 0} boxes`), h("td", null, typeof r.confidence === "number" ? pct(r.confidence) : ""))))),
      );
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
      await loadRows(query.offset ?? 0);
      if (shell.tabs?.active === "summary") await loadSummary();
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
  transformSelect.addEventListener("change", showTransform);
  const refreshBtn = button("↻", () => void loadState().then(() => loadRows(query.offset ?? 0)).then(() => (shell.tabs?.active === "summary" ? loadSummary() : undefined)), {
    class: "pxw-btn pxw-btn-small",
    testid: "pxw-cg-refresh",
    title: "Read the table again (after inserts)",
  });
  shell.toolbar.append(refreshBtn);

  void loadState().then(() => {
    filterSelect.value = query.filter ?? "all";
    syncFilterControls();
    return loadRows(0);
  });

  return () => {
    urls.revokeAll();
    detailUrls.revokeAll();
    for (const c of [leaderboard, kappaChart, costChart]) c.dispose();
    lastCode.dispose();
    allCode.dispose();
    rowsCode.dispose();
    shell.dispose();
    urls = new UrlPool();
  };
}

export default { render };
