// StageBuilder: a progressive-refinement pipeline (video → frames → detections → filtered → alerts) as a graph of
// stages. Click a stage to see its rows; "+" adds a stage after it (a branch when it already has readers), with a
// preview before anything is written; drop a stage (and what depends on it) after a confirmation; see the code.
// In the shared PanelShell; talks to pxwidgets/panels/stage_builder.py; traits hold only source / selected / head.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "./stage_builder.css";
import { CodeBox } from "../lib/code";
import { ConfirmStrip } from "../lib/confirm";
import type { ColumnInfo, PageReply, PageRequest } from "../lib/contract";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { FilterBar } from "../lib/filters";
import { CsvExport, withPandasCode } from "../lib/export";
import { Grid } from "../lib/grid";
import { PanelShell, Superseded } from "../lib/shell";
import { kindLabel } from "./kinds";
import {
  type AddReply,
  type CodeReply,
  type ColumnChartReply,
  type ColumnStatsReply,
  type ComposeActionsReply,
  type ComposeCreateReply,
  type ComposePreviewReply,
  type DropPlanReply,
  type DropReply,
  type GraphReply,
  type StageDraft,
  type TransformsReply,
} from "./contract";
import { StageGraph } from "./graph";
import { ComposeForm } from "./compose_form";
import { ColumnsView } from "./columns_view";
import { fmtRate, fmtSeconds } from "./kinds";
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
  let graph: GraphReply | null = null;
  let shown = ""; // the stage whose rows are on screen
  let adding = 0; // add requests running
  let dropping = ""; // the stage whose drop waits for a confirmation
  let nextAfter = ""; // after an add: the stage the form adds after when it shows again

  // ---- header -----------------------------------------------------------------------------------------------
  const sourceEl = h("span", { class: "pxw-sb-source", testid: "pxw-source", title: "The pipeline's source table" });
  const countEl = h("span", { class: "pxw-badge pxw-sb-count", testid: "pxw-stage-count" }, "…");
  const errorTotal = h("span", { class: "pxw-sb-error-total", testid: "pxw-total-errors", hidden: true });
  const problems = h("ul", { class: "pxw-problems", testid: "pxw-stage-problems", role: "status", hidden: true });
  const refreshBtn = button("↻", () => void refresh(), { class: "pxw-btn pxw-btn-icon pxw-refresh", title: "Refresh (reload the graph and the rows)", "aria-label": "Refresh", testid: "pxw-refresh" });

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
    onInvalid: (message) => shell.showError(new Error(message)),
  });
  const rows: Grid = new Grid({
    // The grid keeps only its newest page itself and reports failures through onError.
    fetchPage: (req) => shell.call<PageReply>("rows", { ...req, stage: shown }, { key: "rows", rethrow: true }),
    fetchCount: async (req) => (await shell.call<{ total: number }>("count", { ...req, stage: shown }, { rethrow: true })).payload.total,
    pageSize: PAGE_SIZE,
    onError: (err) => shell.showError(err),
    onPage: (page) => {
      const key = JSON.stringify(page.columns.map((c) => [c.name, c.type]));
      if (key !== columnKey) {
        columnKey = key;
        filterBar.setColumns(page.columns);
      }
      pageColumns = page.columns;
      markStageColumn(page.columns);
      exporter.setCode(withPandasCode(page.code, page.pandas_code));
    },
    onQuery: (q) => filterBar.setState(q.filters, q.errors_only),
  });
  // Download CSV of the stage's rows with the grid's filters, errors-only and sort
  const exporter: CsvExport = new CsvExport({ shell: () => shell, query: () => ({ ...rows.query, stage: shown }) });
  const rowsBody = h("div", { class: "pxw-sb-rows-body", hidden: true }, filterBar.el, exporter.el, rows.el);

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
      node ? stageFacts(node) : null,
      useBtn,
    );
  }

  /** Rows, errors (and their rate) and compute time of a stage, for its details. */
  function stageFacts(node: NonNullable<ReturnType<typeof graphView.node>>): HTMLElement {
    const parts = [typeof node.rows === "number" ? `${fmtCount(node.rows)} ${node.rows === 1 ? "row" : "rows"}` : "? rows"];
    if (typeof node.errors === "number") parts.push(`${fmtCount(node.errors)} ${node.errors === 1 ? "error" : "errors"} (${fmtRate(node.error_rate)})`);
    if (node.kind !== "source") parts.push(`compute time ${fmtSeconds(node.compute_seconds)}`);
    const title =
      node.kind !== "source" && node.compute_seconds === null
        ? "Compute time unknown: it is measured when pxwidgets adds a stage, in that Python session (hand-made stages have none)"
        : "Counted in the database";
    return h("span", { class: "pxw-dim pxw-sb-facts", testid: "pxw-stage-facts", title }, parts.join(" · "));
  }

  // ---- Add stage ----------------------------------------------------------------------------------------------
  const form = new TransformForm({
    // The form keeps only its newest transforms and preview itself, and shows their failures beside it.
    loadTransforms: async (after) => (await shell.call<TransformsReply>("transforms", { after }, { key: "transforms", rethrow: true })).payload.transforms,
    preview: (draft) => shell.call<PageReply>("preview", draft, { key: "preview", rethrow: true }),
    add: (draft) => addStage(draft),
    onError: (err) => {
      if (!(err instanceof Superseded)) shell.showError(err);
    },
    onAfter: (after) => graphView.setAfter(tabs.active === "add" ? after : ""),
  });

  // ---- Use this stage: another pattern on the stage's table ---------------------------------------------------
  const composeForm = new ComposeForm({
    load: async (stage) => (await shell.call<ComposeActionsReply>("compose_actions", { stage }, { key: "compose_actions", rethrow: true }))!,
    preview: async (draft) => (await shell.call<ComposePreviewReply>("compose_preview", draft, { key: "compose_preview", rethrow: true }))!,
    create: async (draft) => {
      const reply = await shell.call<ComposeCreateReply>("compose_create", draft, {
        rethrow: true,
        progress: `Creating from stage ${draft.stage}`,
        timeoutMs: 3_600_000,
      });
      if (!reply) return null;
      applyGraph(reply.payload.graph);
      return reply.payload;
    },
    onError: (err) => {
      if (!(err instanceof Superseded)) shell.showError(err);
    },
  });
  // ---- Columns: statistics of the selected stage's columns -------------------------------------------------------
  const columnsView = new ColumnsView({
    loadStats: async (stage) => (await shell.call<ColumnStatsReply>("column_stats", { stage }, { key: "column_stats", rethrow: true })).payload,
    loadChart: async (stage, column) => (await shell.call<ColumnChartReply>("column_chart", { stage, column }, { key: "column_chart", rethrow: true })).payload,
    onError: (err) => {
      if (!(err instanceof Superseded)) shell.showError(err);
    },
  });

  const useBtn = button("Use this stage ▸", () => openUse(), { class: "pxw-btn pxw-btn-small", testid: "pxw-use-stage", title: "Start another pattern on this stage's table" });

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
  async function loadCode(): Promise<void> {
    codeStale = false;
    const stage = scope.value === "stage" && shown ? shown : "";
    code.setCaption(stage ? `Pixeltable code of the stage ${stage}` : "Pixeltable code that rebuilds the whole pipeline");
    try {
      code.set((await shell.call<CodeReply>("code", stage ? { stage } : {}, { key: "code", rethrow: true })).payload.code);
    } catch (err) {
      if (err instanceof Superseded) return;
      codeStale = true;
      shell.showError(err);
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

  const shell: PanelShell = new PanelShell(model as AnyModel, {
    title: "Stage builder",
    testid: "pxw-stage-builder",
    class: "pxw-stage-builder",
    above: graphSection,
    tabs: [
      { name: "rows", label: "Rows", content: h("div", { class: "pxw-tab-body" }, caption, rowsEmpty, rowsBody), onShow: () => graphView.setAfter("") },
      {
        name: "columns",
        label: "Columns",
        content: h("div", { class: "pxw-tab-body" }, columnsView.el),
        onShow: () => {
          graphView.setAfter("");
          void columnsView.setStage(shown);
        },
      },
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
        name: "use",
        label: "Use this stage",
        content: h("div", { class: "pxw-tab-body" }, composeForm.el),
        onShow: () => {
          graphView.setAfter("");
          void composeForm.setStage(shown || graph?.head || graph?.root || "");
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
  });
  const tabs = shell.tabs!;
  shell.setBadges(sourceEl, countEl, errorTotal);
  shell.toolbar.append(refreshBtn);
  shell.notes.append(problems);

  // ---- selection ------------------------------------------------------------------------------------------------

  /** Show a stage's rows ('' = none). From a click: also the `selected` trait, and the Rows tab (unless on Code). */
  function selectStage(id: string, opts: { errorsOnly?: boolean; fromGraph?: boolean; reload?: boolean } = {}): void {
    if (model.get("selected") !== id) {
      model.set("selected", id);
      model.save_changes();
    }
    if (opts.fromGraph && tabs.active !== "code" && tabs.active !== "use" && (tabs.active !== "columns" || opts.errorsOnly)) tabs.show("rows");
    if (tabs.active === "use" && id) void composeForm.setStage(id);
    if (tabs.active === "columns") void columnsView.setStage(id);
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

  async function loadGraph(): Promise<boolean> {
    refreshBtn.classList.add("pxw-spinning");
    let superseded = false; // only the newest graph counts
    try {
      applyGraph((await shell.call<GraphReply>("graph", {}, { key: "graph", rethrow: true })).payload);
      return true;
    } catch (err) {
      superseded = err instanceof Superseded;
      if (!superseded) shell.showError(err);
      return false;
    } finally {
      if (!superseded) refreshBtn.classList.remove("pxw-spinning");
    }
  }

  async function refresh(): Promise<void> {
    shell.errors.clear();
    if (shown) void rows.reload();
    if (tabs.active === "columns") void columnsView.setStage(shown, { force: true });
    if (await loadGraph()) graphView.reveal(shown);
  }

  function openUse(): void {
    tabs.show("use");
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
    let status = "";
    try {
      // Its progress (and Cancel) shows in the shell's bar from the start, and beside the form.
      const reply = await shell.call<AddReply>("add", draft, {
        rethrow: true,
        progress: `Adding ${draft.name}`,
        onProgress: (done, total, message) => {
          const count = total === null || total <= 0 ? (done > 0 ? fmtCount(done) : "") : `${fmtCount(done)}/${fmtCount(total)}`;
          form.setStatus([`Adding ${draft.name}…`, count, message].filter(Boolean).join(" "));
        },
      });
      const stage = reply.payload.stage;
      graphView.setPending(null);
      applyGraph(reply.payload.graph);
      status = `Added ${stage.id}${typeof stage.rows === "number" ? ` (${fmtCount(stage.rows)} rows)` : ""}.`;
      form.consumed();
      nextAfter = stage.id; // the next stage goes after this one (fetched when the Add tab shows again)
      selectStage(stage.id, { fromGraph: true });
      tabs.show("rows");
    } catch (err) {
      shell.showError(err);
      form.showServerError(err);
    } finally {
      adding--;
      graphView.setPending(null);
      form.setAdding(adding > 0, status);
    }
  }

  // ---- drop -----------------------------------------------------------------------------------------------------

  async function askDrop(id: string): Promise<void> {
    graphView.setDropBusy(id);
    const reply = await shell.call<DropPlanReply>("drop_plan", { stage: id }, { key: "drop_plan" });
    graphView.setDropBusy("");
    if (!reply) return; // failed (shown) or replaced by a question about another stage
    const plan = reply.payload.plan;
    const n = plan.length;
    confirm.ask({
      message: `Drop ${n} ${n === 1 ? "stage" : "stages"}: ${plan.join(", ")}?`,
      detail: "Their views and columns are deleted with every value computed in them. The Code tab has the code that rebuilds the pipeline as it is now.",
      onConfirm: async () => {
        const input = graphView.parentsOf(id)[0] ?? "";
        const before = shown; // the kernel may clear `selected` before its reply arrives
        try {
          const done = await shell.call<DropReply>("drop", { stage: id, expect: plan });
          if (!done) return; // refused: nothing changed (the message is shown)
          applyGraph(done.payload.graph);
          // The selected stage went with the drop: select the stage it was dropped from.
          if (done.payload.dropped.includes(before)) selectStage(done.payload.graph.nodes.some((s) => s.id === input) ? input : "");
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

  el.replaceChildren(shell.el);
  replace(sourceEl, String(model.get("source") ?? ""));
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
    shell.dispose();
    rows.dispose();
    form.dispose();
    composeForm.dispose();
    columnsView.dispose();
    graphView.dispose();
    code.dispose();
    exporter.dispose();
    shell.el.remove();
  };
}

export default { render };
