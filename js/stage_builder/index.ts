// StageBuilder: a progressive-refinement pipeline (video → frames → detections → filtered → alerts) as a graph of
// stages. Click a stage to see its rows; "+" adds a stage after it (a branch when it already has readers), with a
// preview before anything is written; drop a stage (and what depends on it) after a confirmation; see the code.
// Talks to pxwidgets/panels/stage_builder.py through Rpc requests; traits hold only source / selected / head.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "./stage_builder.css";
import { CodeBox } from "../lib/code";
import { ConfirmStrip } from "../lib/confirm";
import type { ColumnInfo, PageReply, PageRequest } from "../lib/contract";
import { button, fmtCount, h, replace, select, svg } from "../lib/dom";
import { FilterBar } from "../lib/filters";
import { Grid } from "../lib/grid";
import { Rpc } from "../lib/rpc";
import { kindLabel } from "./kinds";
import {
  type AddReply,
  type CodeReply,
  type DropPlanReply,
  type DropReply,
  type GraphReply,
  type StageDraft,
  type TransformsReply,
} from "./contract";
import { StageGraph } from "./graph";
import { ErrorArea, ProgressBar } from "../lib/status";
import { Tabs } from "../lib/tabs";
import { TransformForm } from "./transform_form";

interface Traits {
  source: string;
  selected: string;
  head: string;
  last_error: string;
}

const PAGE_SIZE = 10;
const FRESH: Partial<PageRequest> = { offset: 0, order_by: null, filters: [], errors_only: false };

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  const rpc = new Rpc(model as AnyModel);
  const errors = new ErrorArea();
  const progress = new ProgressBar();
  let graph: GraphReply | null = null;
  let shown = ""; // the stage whose rows are on screen
  let adding = 0; // add requests running: they own the progress bar
  let addRequest = ""; // the id of the running add, for Cancel
  const cancelBtn = button("Cancel", () => {
    if (!addRequest) return;
    rpc.cancel(addRequest);
    replace(cancelBtn, "Cancelling…");
    cancelBtn.disabled = true;
  }, { class: "pxw-btn pxw-btn-small", testid: "pxw-cancel", title: "Stop the add before it writes (a write already running finishes)" });
  cancelBtn.hidden = true;
  progress.el.append(cancelBtn);
  let dropping = ""; // the stage whose drop waits for a confirmation
  let nextAfter = ""; // after an add: the stage the form adds after when it shows again

  /** A request whose progress (if any) shows in the bar, unless a stage is being added (that one owns the bar). */
  async function call<T>(kind: string, payload: object = {}) {
    let showed = false;
    try {
      return await rpc.request<T>(kind, payload, {
        onProgress: (done, total, message) => {
          if (adding) return;
          showed = true;
          progress.update(done, total, message);
        },
      });
    } finally {
      if (showed && !adding) progress.hide();
    }
  }

  // ---- header -----------------------------------------------------------------------------------------------
  const sourceEl = h("span", { class: "pxw-sb-source", testid: "pxw-source", title: "The pipeline's source table" });
  const countEl = h("span", { class: "pxw-badge pxw-sb-count", testid: "pxw-stage-count" }, "…");
  const errorTotal = h("span", { class: "pxw-sb-error-total", testid: "pxw-total-errors", hidden: true });
  const problems = h("ul", { class: "pxw-problems", testid: "pxw-stage-problems", role: "status", hidden: true });
  const refreshBtn = button("↻", () => void refresh(), { class: "pxw-btn pxw-btn-icon pxw-refresh", title: "Refresh (reload the graph and the rows)", "aria-label": "Refresh", testid: "pxw-refresh" });
  const header = h(
    "div",
    { class: "pxw-header" },
    h(
      "div",
      { class: "pxw-header-row" },
      logo(),
      h("span", { class: "pxw-sb-title" }, "Pipeline"),
      sourceEl,
      countEl,
      errorTotal,
      h("span", { class: "pxw-spacer" }),
      refreshBtn,
    ),
    problems,
  );

  // ---- graph and drop confirmation --------------------------------------------------------------------------
  const confirm = new ConfirmStrip();
  const graphView = new StageGraph({
    onSelect: (id, opts) => selectStage(id, { errorsOnly: opts?.errorsOnly, fromGraph: true }),
    onAdd: (id) => openAdd(id),
    onDrop: (id) => void askDrop(id),
  });
  const graphSection = h(
    "section",
    { class: "pxw-sb-graph", "aria-label": "Stages" },
    h(
      "div",
      { class: "pxw-sb-graph-bar" },
      h("span", { class: "pxw-filter-label" }, "Stages"),
      h("span", { class: "pxw-dim pxw-sb-hint" }, "Click a stage to see its rows · + adds a stage after it (a branch if it has one already)"),
    ),
    confirm.el,
    graphView.el,
  );

  // ---- Rows ---------------------------------------------------------------------------------------------------
  const caption = h("div", { class: "pxw-sb-caption", testid: "pxw-rows-caption" });
  const rowsEmpty = h("div", { class: "pxw-empty pxw-sb-rows-empty", testid: "pxw-rows-empty" }, "Click a stage in the graph to see its rows.");
  let columnKey = "";
  let pageColumns: ColumnInfo[] = [];
  const filterBar = new FilterBar({
    onFilters: (filters) => rows.load({ filters, offset: 0 }),
    onErrorsOnly: (on) => rows.load({ errors_only: on, offset: 0 }),
    onInvalid: (message) => errors.show(new Error(message)),
  });
  const rows: Grid = new Grid({
    fetchPage: (req) => {
      const stage = shown;
      return call<PageReply>("rows", { ...req, stage });
    },
    fetchCount: async (req) => (await call<{ total: number }>("count", { ...req, stage: shown })).payload.total,
    pageSize: PAGE_SIZE,
    onError: (err) => errors.show(err),
    onPage: (page) => {
      errors.clear();
      const key = JSON.stringify(page.columns.map((c) => [c.name, c.type]));
      if (key !== columnKey) {
        columnKey = key;
        filterBar.setColumns(page.columns);
      }
      pageColumns = page.columns;
      markStageColumn(page.columns);
    },
    onQuery: (q) => filterBar.setState(q.filters, q.errors_only),
  });
  const rowsBody = h("div", { class: "pxw-sb-rows-body", hidden: true }, filterBar.el, rows.el);

  /** The stage's own column (a computed column, an iterator's output) is outlined and scrolled into view. */
  function markStageColumn(columns: ColumnInfo[]): void {
    const node = graphView.node(shown);
    const col = node?.column ?? (node?.kind === "iterator" ? node.output : null) ?? null;
    let first: HTMLElement | null = null;
    for (const cell of Array.from(rows.el.querySelectorAll<HTMLElement>("[data-column]"))) {
      const on = col !== null && cell.dataset.column === col;
      cell.classList.toggle("pxw-stage-col", on);
      if (on && !first && cell.tagName === "TH") first = cell;
    }
    if (!first || !columns.some((c) => c.name === col)) return;
    const scroller = rows.el.querySelector<HTMLElement>(".pxw-grid-scroll");
    if (scroller && first.offsetLeft + first.offsetWidth > scroller.scrollLeft + scroller.clientWidth) {
      scroller.scrollLeft = Math.max(0, first.offsetLeft - 80);
    }
  }

  function renderCaption(): void {
    const node = graphView.node(shown);
    if (!shown) {
      replace(caption);
      return;
    }
    const where = node ? (node.column ? `column ${node.column} of ${node.table}` : node.table) : "";
    replace(
      caption,
      node ? h("span", { class: `pxw-sg-kind pxw-sg-kind-${node.kind}` }, kindLabel(node.kind)) : null,
      h("strong", { class: "pxw-sb-caption-name" }, shown),
      where ? h("span", { class: "pxw-dim" }, where) : null,
      node?.definition ? h("code", { class: "pxw-sb-caption-def", title: node.definition }, node.definition) : null,
    );
  }

  // ---- Add stage ----------------------------------------------------------------------------------------------
  const form = new TransformForm({
    loadTransforms: async (after) => (await call<TransformsReply>("transforms", { after })).payload.transforms,
    preview: async (draft) => {
      const reply = await call<PageReply>("preview", draft);
      errors.clear();
      return reply;
    },
    add: (draft) => addStage(draft),
    onError: (err) => errors.show(err),
    onAfter: (after) => graphView.setAfter(tabs.active === "add" ? after : ""),
  });

  // ---- Code ---------------------------------------------------------------------------------------------------
  const code = new CodeBox("Pixeltable code that rebuilds the pipeline");
  const scope = select(
    [
      ["pipeline", "Whole pipeline"],
      ["stage", "Selected stage"],
    ],
    { testid: "pxw-code-scope", "aria-label": "Code of" },
  );
  scope.addEventListener("change", () => void loadCode());
  let codeStale = true;
  let codeGeneration = 0;
  async function loadCode(): Promise<void> {
    codeStale = false;
    const stage = scope.value === "stage" && shown ? shown : "";
    code.setCaption(stage ? `Pixeltable code of the stage ${stage}` : "Pixeltable code that rebuilds the whole pipeline");
    const generation = ++codeGeneration;
    try {
      const reply = await call<CodeReply>("code", stage ? { stage } : {});
      if (generation === codeGeneration) code.set(reply.payload.code);
    } catch (err) {
      if (generation !== codeGeneration) return;
      codeStale = true;
      errors.show(err);
    }
  }
  function syncScope(): void {
    const opt = scope.querySelector<HTMLOptionElement>('option[value="stage"]')!;
    opt.textContent = shown ? `Stage ${shown}` : "Selected stage (none)";
    opt.disabled = !shown;
    if (!shown && scope.value === "stage") scope.value = "pipeline";
  }
  function codeChanged(): void {
    codeStale = true;
    if (tabs.active === "code") void loadCode();
  }

  const tabs = new Tabs(
    [
      { name: "rows", label: "Rows", content: h("div", { class: "pxw-tab-body" }, caption, rowsEmpty, rowsBody), onShow: () => graphView.setAfter("") },
      {
        name: "add",
        label: "Add stage",
        content: h("div", { class: "pxw-tab-body" }, form.el),
        onShow: () => {
          if (nextAfter) form.setAfter(nextAfter);
          else if (!form.afterStage) form.setAfter(shown || graph?.head || graph?.root || "");
          nextAfter = "";
          graphView.setAfter(form.afterStage);
        },
      },
      {
        name: "code",
        label: "Code",
        content: h("div", { class: "pxw-tab-body" }, h("div", { class: "pxw-sb-code-bar" }, h("span", { class: "pxw-filter-label" }, "Code of"), scope), code.el),
        onShow: () => {
          graphView.setAfter("");
          if (codeStale) void loadCode();
        },
      },
    ],
    progress.el,
  );

  // ---- selection ------------------------------------------------------------------------------------------------

  /** Show a stage's rows ('' = none). From a click: also the `selected` trait, and the Rows tab (unless on Code). */
  function selectStage(id: string, opts: { errorsOnly?: boolean; fromGraph?: boolean; reload?: boolean } = {}): void {
    if (model.get("selected") !== id) {
      model.set("selected", id);
      model.save_changes();
    }
    if (opts.fromGraph && tabs.active !== "code") tabs.show("rows");
    const changed = id !== shown;
    shown = id;
    graphView.setSelected(id);
    renderCaption();
    syncScope();
    rowsEmpty.hidden = Boolean(id);
    rowsBody.hidden = !id;
    if (id) graphView.reveal(id);
    if (changed) codeChanged();
    if (!id) return;
    if (changed) void rows.load({ ...FRESH, errors_only: Boolean(opts.errorsOnly) }, { reset: true });
    else if (opts.errorsOnly) void rows.load({ errors_only: true, offset: 0 });
    else if (opts.reload) void rows.reload();
  }

  // ---- the graph ------------------------------------------------------------------------------------------------

  function applyGraph(next: GraphReply): void {
    graph = next;
    graphView.setGraph(next);
    form.setStages(next.nodes);
    graphView.setAfter(tabs.active === "add" ? form.afterStage : "");
    replace(sourceEl, next.root ? (next.nodes.find((n) => n.id === next.root)?.table ?? next.root) : String(model.get("source") ?? ""));
    replace(countEl, `${next.nodes.length} ${next.nodes.length === 1 ? "stage" : "stages"}`);
    const totalErrors = next.nodes.reduce((n, s) => n + (typeof s.errors === "number" ? s.errors : 0), 0);
    replace(errorTotal, `${fmtCount(totalErrors)} ${totalErrors === 1 ? "error" : "errors"}`);
    errorTotal.hidden = totalErrors === 0;
    replace(
      problems,
      ...next.problems.map((p) =>
        h(
          "li",
          { testid: "pxw-stage-problem-item", "data-stage": p.stage },
          h("span", { "aria-hidden": "true" }, "⚠ "),
          h("strong", null, p.stage),
          `: ${p.problem}`,
          p.fix ? h("span", { class: "pxw-dim" }, ` — ${p.fix}`) : null,
        ),
      ),
    );
    problems.hidden = next.problems.length === 0;
    if (dropping && !next.nodes.some((n) => n.id === dropping)) confirm.cancel(); // gone meanwhile: nothing to confirm
    if (shown && !next.nodes.some((n) => n.id === shown)) selectStage("");
    else {
      graphView.setSelected(shown);
      renderCaption();
      markStageColumn(pageColumns);
    }
    codeChanged();
  }

  let graphGeneration = 0;
  async function loadGraph(): Promise<boolean> {
    const generation = ++graphGeneration;
    refreshBtn.classList.add("pxw-spinning");
    try {
      const reply = await call<GraphReply>("graph");
      if (generation !== graphGeneration) return false;
      applyGraph(reply.payload);
      return true;
    } catch (err) {
      if (generation === graphGeneration) errors.show(err);
      return false;
    } finally {
      if (generation === graphGeneration) refreshBtn.classList.remove("pxw-spinning");
    }
  }

  async function refresh(): Promise<void> {
    errors.clear();
    if (shown) void rows.reload();
    if (await loadGraph()) graphView.reveal(shown);
  }

  // ---- add ------------------------------------------------------------------------------------------------------

  function openAdd(after: string): void {
    nextAfter = "";
    form.setAfter(after); // before the tab shows, so it does not fetch the transforms of another stage first
    tabs.show("add");
    graphView.setAfter(after);
  }

  async function addStage(draft: StageDraft): Promise<void> {
    adding++;
    form.setAdding(true, `Adding ${draft.name}…`);
    graphView.setPending({ after: draft.after, name: draft.name });
    progress.update(0, null, `Adding ${draft.name}`);
    let status = "";
    try {
      const reply = await rpc.request<AddReply>("add", draft, {
        onStart: (id) => {
          addRequest = id;
          replace(cancelBtn, "Cancel");
          cancelBtn.disabled = false;
          cancelBtn.hidden = false;
        },
        onProgress: (done, total, message) => {
          progress.update(done, total, message);
          const count = total === null || total <= 0 ? (done > 0 ? fmtCount(done) : "") : `${fmtCount(done)}/${fmtCount(total)}`;
          form.setStatus([`Adding ${draft.name}…`, count, message].filter(Boolean).join(" "));
        },
      });
      const stage = reply.payload.stage;
      graphView.setPending(null);
      applyGraph(reply.payload.graph);
      errors.clear();
      status = `Added ${stage.id}${typeof stage.rows === "number" ? ` (${fmtCount(stage.rows)} rows)` : ""}.`;
      form.consumed();
      nextAfter = stage.id; // the next stage goes after this one (fetched when the Add tab shows again)
      selectStage(stage.id, { fromGraph: true });
      tabs.show("rows");
    } catch (err) {
      errors.show(err);
      form.showServerError(err);
    } finally {
      adding--;
      addRequest = "";
      cancelBtn.hidden = true;
      graphView.setPending(null);
      if (!adding) progress.hide();
      form.setAdding(adding > 0, status);
    }
  }

  // ---- drop -----------------------------------------------------------------------------------------------------

  async function askDrop(id: string): Promise<void> {
    graphView.setDropBusy(id);
    let plan: string[];
    try {
      plan = (await call<DropPlanReply>("drop_plan", { stage: id })).payload.plan;
    } catch (err) {
      errors.show(err);
      return;
    } finally {
      graphView.setDropBusy("");
    }
    const n = plan.length;
    confirm.ask({
      message: `Drop ${n} ${n === 1 ? "stage" : "stages"}: ${plan.join(", ")}?`,
      detail: "Their views and columns are deleted with every value computed in them. The Code tab has the code that rebuilds the pipeline as it is now.",
      onConfirm: async () => {
        const input = graphView.parentsOf(id)[0] ?? "";
        const before = shown; // the kernel may clear `selected` before its reply arrives
        try {
          const reply = (await call<DropReply>("drop", { stage: id, expect: plan })).payload;
          applyGraph(reply.graph);
          errors.clear();
          // The selected stage went with the drop: select the stage it was dropped from.
          if (reply.dropped.includes(before)) selectStage(reply.graph.nodes.some((s) => s.id === input) ? input : "");
        } catch (err) {
          errors.show(err);
        } finally {
          graphView.setDoomed([]);
          dropping = "";
        }
      },
      onCancel: () => {
        graphView.setDoomed([]);
        dropping = "";
      },
    });
    // After ask(): asking replaces (cancels) an open confirmation, which unmarks its stages.
    dropping = id;
    graphView.setDoomed(plan);
    graphView.reveal(id);
  }

  // ---- traits ---------------------------------------------------------------------------------------------------
  const onSelectedTrait = () => {
    const id = String(model.get("selected") ?? "");
    if (id !== shown) selectStage(id);
  };
  const onSourceTrait = () => {
    selectStage(String(model.get("selected") ?? ""));
    form.setStages([]);
    replace(sourceEl, String(model.get("source") ?? ""));
    void loadGraph();
  };
  const onHeadTrait = () => {
    // Python moved the head (a stage added from a cell): the graph changed. An add from here brings its own graph.
    if (graph && !adding && String(model.get("head") ?? "") !== graph.head) void loadGraph();
  };
  model.on("change:selected", onSelectedTrait);
  model.on("change:source", onSourceTrait);
  model.on("change:head", onHeadTrait);

  const root = h(
    "div",
    { class: "pxw-root pxw-stage-builder", testid: "pxw-stage-builder" },
    header,
    errors.el,
    graphSection,
    tabs.el,
  );
  replace(el, root);
  replace(sourceEl, String(model.get("source") ?? ""));
  tabs.show("rows");
  syncScope();
  const initial = String(model.get("selected") ?? "");
  void loadGraph().then(() => {
    if (initial && initial === String(model.get("selected") ?? "")) graphView.reveal(initial);
  });
  if (initial) selectStage(initial); // the rows do not wait for the graph

  return () => {
    model.off("change:selected", onSelectedTrait);
    model.off("change:source", onSourceTrait);
    model.off("change:head", onHeadTrait);
    rpc.dispose();
    rows.dispose();
    form.dispose();
    graphView.dispose();
    code.dispose();
    root.remove();
  };
}

function logo(): SVGSVGElement {
  const el = svg("svg", { class: "pxw-sb-logo", viewBox: "0 0 20 16", width: 20, height: 16, "aria-hidden": "true" });
  for (const [x, y] of [[1, 6], [8, 1], [8, 11], [15, 6]]) el.appendChild(svg("rect", { x, y, width: 4, height: 4, rx: 1 }));
  el.appendChild(svg("path", { d: "M5 8h1.5l1.5-5M6.5 8l1.5 5M12 3l1.5 5H15M12 13l1.5-5" }));
  return el;
}

export default { render };
