// ExperimentTimeline: the runs of a versioned experiment (or the versions of any table) side by side — params,
// metrics, a chart of one metric over the runs — with two picked for a diff (params, metrics, schema, the rows whose
// values differ with the changed cells marked), and promote / drop / clean up (runs) or snapshot / revert (a table).
// Every destructive action first shows the plan the kernel made and runs only that plan, after a confirmation.
// Talks to pxwidgets/panels/experiment_timeline.py; traits hold only mode / name / metric / selected.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "../lib/grid.css";
import "../lib/cells.css";
import "./experiment_timeline.css";
import { Chart } from "../lib/chart";
import { ConfirmStrip } from "../lib/confirm";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { GridView, PagedGrid, type PageWindow } from "../lib/grid";
import { ParamFields } from "../lib/param_form";
import type { Reply } from "../lib/rpc";
import { PanelShell, Superseded } from "../lib/shell";
import type {
  CompareReply,
  DiffPage,
  DiffRequest,
  DiffRowInfo,
  DiffStatInfo,
  ExecuteReply,
  MetricDelta,
  ParamDelta,
  PlanReply,
  PlanRequest,
  RunFormReply,
  RunInfo,
  RunReply,
  SnapshotReply,
  TableVersionInfo,
  TimelineReply,
} from "./contract";
import { deltaColumns, diffColumns, metricChange, runBadge, runColumns, statColumns, versionColumns, type StatRow, type TimelineCells } from "./tables";

interface Traits {
  mode: string;
  name: string;
  metric: string;
  selected: number[];
  last_error: string;
}

const DIFF_PAGE = 25;

/** The row diff's query: two versions, a kind of change (or all) and a page. */
type DiffQuery = DiffRequest & PageWindow;

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  const mode = String(model.get("mode"));
  const isExperiment = mode === "experiment";
  let picked: number[] = [];
  let keepSet = false; // the keep box starts at the experiment's own keep, then is the user's
  let runs: RunInfo[] = [];

  // ---- layout -------------------------------------------------------------------------------------------------
  const cells: TimelineCells = { pickBox, runActions, versionActions, untag: (name) => void tagCall({ name }) };
  const runsView = new GridView<RunInfo>({
    idPrefix: "pxw-et-runs",
    rowNumber: false,
    emptyText: "No runs yet: exp.run(**params) builds the first version.",
    rowClass: (run) => `pxw-et-row${run.latest ? " pxw-et-row-latest" : ""}${run.dropped ? " pxw-et-row-dropped" : ""}`,
    rowAttrs: (run) => ({ testid: `pxw-et-run-${run.version}`, title: run.error ?? undefined }),
    headerBadge: (column) => runBadge(column, runs),
  });
  const versionsView = new GridView<TableVersionInfo>({
    idPrefix: "pxw-et-versions",
    rowNumber: false,
    rowClass: (v) => `pxw-et-row${v.version === current ? " pxw-et-row-latest" : ""}`,
    rowAttrs: (v) => ({ testid: `pxw-et-run-${v.version}` }),
  });
  let current: number | null = null;
  const failures = h("ul", { class: "pxw-problems pxw-et-failures", testid: "pxw-et-failures", hidden: true });
  const runsBody = h("div", { class: "pxw-et-runs", testid: "pxw-et-runs" }, isExperiment ? runsView.el : versionsView.el, failures);
  const chart = new Chart("pxw-et-chart");
  let figures: Pick<TimelineReply, "figure" | "parallel"> = { figure: null, parallel: null };
  const metricSelect = select([], { testid: "pxw-et-metric", "aria-label": "Metric shown in the chart" });
  const chartSelect = select(
    [
      ["version", "by version"],
      ["parallel", "parameters → metric (parallel coordinates)"],
    ],
    { testid: "pxw-et-chart-kind", "aria-label": "Chart" },
  );
  const chartBox = h(
    "div",
    { class: "pxw-et-chart-box", hidden: !isExperiment },
    h("div", { class: "pxw-et-chart-bar" }, h("label", { class: "pxw-et-metric" }, "Metric ", metricSelect), h("label", { class: "pxw-et-metric" }, "Chart ", chartSelect)),
    chart.el,
  );
  // tags: name a run ("baseline", "prod"); a tag names one run, a collision is refused by the kernel
  const tagVersion = h("input", { type: "number", min: "1", class: "pxw-input pxw-input-num pxw-et-tag-version", testid: "pxw-et-tag-version", "aria-label": "Version to tag" }) as HTMLInputElement;
  const tagName = h("input", { type: "text", class: "pxw-input pxw-et-tag-name", testid: "pxw-et-tag-name", placeholder: "baseline", "aria-label": "Tag name", spellcheck: "false" }) as HTMLInputElement;
  const tagMove = h("input", { type: "checkbox", testid: "pxw-et-tag-move", title: "Move the tag if another version has it" }) as HTMLInputElement;
  const tagBtn = button("Tag", () => void tagCall({ name: tagName.value.trim(), version: Number(tagVersion.value), move: tagMove.checked }), { class: "pxw-btn pxw-btn-small", testid: "pxw-et-tag" });
  const tagBar = h("div", { class: "pxw-et-tag-bar", hidden: !isExperiment }, "Tag version ", tagVersion, " as ", tagName, h("label", null, tagMove, " move"), tagBtn);
  // a new run from the setup function's signature and defaults
  let runFields: ParamFields | null = null;
  const runFormBody = h("div", { class: "pxw-et-run-fields" });
  const runNote = h("span", { class: "pxw-dim", testid: "pxw-et-run-note" });
  const startBtn = button("Start run", () => void startRun(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-et-run-start" });
  const runForm = h("div", { class: "pxw-et-run-form", testid: "pxw-et-run-form", hidden: true }, h("strong", { class: "pxw-et-run-title" }), runFormBody, h("div", { class: "pxw-et-run-bar" }, startBtn, button("Close", () => (runForm.hidden = true), { class: "pxw-btn" }), runNote));
  const compareBtn = button("Compare the two picked", () => void compare(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-et-compare", disabled: true });
  const pickNote = h("span", { class: "pxw-dim", testid: "pxw-et-pick-note" }, "Pick two versions to compare.");
  const confirm = new ConfirmStrip();
  const planKept = h("ul", { class: "pxw-et-kept", testid: "pxw-et-kept", hidden: true });
  const timelineTab = h("div", { class: "pxw-et-timeline" }, runForm, chartBox, h("div", { class: "pxw-et-compare-bar" }, compareBtn, pickNote), tagBar, runsBody);

  // the comparison: deltas of params and metrics, then the row diff (paged in the kernel for a table's versions)
  const summary = h("div", { class: "pxw-et-summary", testid: "pxw-et-summary" });
  const paramDeltas = new GridView<ParamDelta>({ idPrefix: "pxw-et-params", rowNumber: false, rowClass: (p) => (p.same ? "" : "pxw-et-differs") });
  const metricDeltas = new GridView<MetricDelta>({ idPrefix: "pxw-et-metrics", rowNumber: false, rowAttrs: (m) => ({ testid: `pxw-et-delta-${m.name}` }) });
  const deltas = h("div", { class: "pxw-et-deltas", hidden: true }, paramDeltas.el, metricDeltas.el);
  const counts = h("div", { class: "pxw-et-counts" });
  const notes = h("div", { class: "pxw-et-notes" });
  const diffGrid: PagedGrid<DiffQuery, DiffRowInfo, DiffPage> = new PagedGrid<DiffQuery, DiffRowInfo, DiffPage>({
    query: { a: 0, b: 0, kind: null, offset: 0, limit: DIFF_PAGE },
    idPrefix: "pxw-et-diff",
    testid: "pxw-et-diff-table",
    pager: !isExperiment,
    rowNumber: false,
    emptyText: "No rows differ.",
    fetchPage: async (q): Promise<Reply<DiffPage>> => {
      const reply: Reply<DiffPage> | null = await shell.call<DiffPage>("diff", q, { rethrow: true });
      if (!reply) throw new Superseded("diff");
      return reply;
    },
    columns: (page) => diffColumns(page.columns),
    columnKey: (page) => JSON.stringify(page.columns),
    changed: (r) => r.changed,
    rowClass: (r) => `pxw-et-diff-row pxw-et-${r.change}`,
    rowAttrs: (r) => ({ testid: "pxw-et-diff-row", "data-change": r.change }),
    onError: (err) => shell.showError(err),
    onPage: (page) => showDiffPage(page, true),
  });
  const unmatched = h("div", { class: "pxw-empty", hidden: true }, "The rows of these two versions could not be matched.");
  // the diff's summary, like `dolt diff --stat`: rows and cells, and cells changed per column (counted in the database)
  const statView = new GridView<StatRow>({ idPrefix: "pxw-et-stat", rowNumber: false, rowAttrs: (r) => ({ testid: `pxw-et-stat-${r.column}` }) });
  const statLine = h("div", { class: "pxw-et-stat-line", testid: "pxw-et-stat-line" });
  const statBox = h("div", { class: "pxw-et-stat", testid: "pxw-et-stat", hidden: true }, statLine, statView.el);
  const diffBox = h("div", { class: "pxw-et-diff", testid: "pxw-et-diff", hidden: true }, counts, statBox, unmatched, diffGrid.el, notes);
  const compareTab = h("div", { class: "pxw-et-compare" }, deltas, summary, diffBox);
  clearCompare();

  const shell = new PanelShell(model as AnyModel, {
    title: isExperiment ? "Experiment timeline" : "Table versions",
    testid: "pxw-experiment-timeline",
    tabs: [
      { name: "timeline", label: isExperiment ? "Runs" : "Versions", content: timelineTab },
      { name: "compare", label: "Compare", content: compareTab },
    ],
  });
  const refreshBtn = button("↻", () => void refresh(), { class: "pxw-btn pxw-btn-icon", title: "Refresh", "aria-label": "Refresh", testid: "pxw-et-refresh" });
  const keepInput = h("input", { type: "number", min: "1", value: "3", class: "pxw-et-keep", testid: "pxw-et-keep", "aria-label": "Versions to keep", title: "How many of the newest successful versions cleanup keeps" }) as HTMLInputElement;
  const forceBox = h("input", { type: "checkbox", testid: "pxw-et-force", title: "Also drop versions that other tables depend on (the plan names them)" }) as HTMLInputElement;
  const newRunBtn = button("New run…", () => void openRunForm(), { class: "pxw-btn", testid: "pxw-et-new-run", title: "Start a run with parameters from the setup function", hidden: true });
  const cleanupBtn = button("Clean up…", () => void plan({ action: "cleanup", keep: Number(keepInput.value), force: forceBox.checked }), { class: "pxw-btn", testid: "pxw-et-cleanup", title: "Show what cleanup would drop, then confirm" });
  if (isExperiment) {
    shell.toolbar.append(newRunBtn, h("label", { class: "pxw-et-keep-label" }, "keep ", keepInput), h("label", { class: "pxw-et-force-label" }, forceBox, " force"), cleanupBtn);
  }
  shell.toolbar.append(refreshBtn);
  // the confirmation strip and what a plan keeps sit above the tabs, where they cannot be missed
  shell.errors.el.after(confirm.el, planKept);
  el.replaceChildren(shell.el);

  // ---- timeline -----------------------------------------------------------------------------------------------
  async function refresh(metric?: string | null): Promise<void> {
    const reply = await shell.call<TimelineReply>("timeline", { metric: metric ?? (String(model.get("metric")) || null) }, { key: "timeline" });
    if (reply) show(reply.payload);
  }

  function show(t: TimelineReply): void {
    const alive = new Set(isExperiment ? t.runs.filter((r) => !r.dropped).map((r) => r.version) : t.versions.map((v) => v.version));
    picked = picked.filter((v) => alive.has(v));
    if (isExperiment) {
      const latest = t.runs.find((r) => r.latest);
      shell.setBadges(
        h("code", { class: "pxw-et-name", testid: "pxw-et-name" }, t.name),
        h("span", { class: "pxw-badge", testid: "pxw-et-count" }, `${t.runs.filter((r) => !r.dropped).length} versions`),
        latest ? h("span", { class: "pxw-badge pxw-et-latest-badge", testid: "pxw-et-latest" }, `latest v${latest.version}`) : h("span", { class: "pxw-badge" }, "no successful run yet"),
      );
      if (!keepSet && t.keep) {
        keepInput.value = String(t.keep);
        keepSet = true;
      }
      replace(metricSelect, ...t.metrics.map((m) => h("option", { value: m }, m)));
      metricSelect.value = t.metric ?? "";
      chartBox.hidden = !t.figure;
      figures = { figure: t.figure, parallel: t.parallel };
      drawChart();
      newRunBtn.hidden = !t.can_run;
      renderRuns(t.runs, t.metrics, t.metric);
    } else {
      shell.setBadges(h("code", { class: "pxw-et-name", testid: "pxw-et-name" }, t.name), h("span", { class: "pxw-badge", testid: "pxw-et-count" }, `version ${t.current ?? "?"}`));
      current = t.current;
      versionsView.setColumns(versionColumns(t.current, cells));
      versionsView.setRows(t.versions);
    }
    updatePick();
  }

  /** One chart, two figures: the metric by version, or parameters → metric in parallel coordinates. */
  function drawChart(): void {
    const parallel = chartSelect.value === "parallel";
    chart.el.dataset.kind = parallel ? "parallel" : "version";
    void chart.update(parallel ? figures.parallel : figures.figure);
  }
  chartSelect.addEventListener("change", drawChart);

  async function tagCall(req: { name: string; version?: number; move?: boolean }): Promise<void> {
    const reply = await shell.call<TimelineReply>("tag", req, { key: "tag" });
    if (!reply) return;
    show(reply.payload);
    if (req.version !== undefined) tagName.value = "";
  }

  // ---- a new run from the panel ---------------------------------------------------------------------------------
  async function openRunForm(): Promise<void> {
    const reply = await shell.call<RunFormReply>("run_form", {}, { key: "run_form" });
    if (!reply) return;
    const f = reply.payload;
    runFields = new ParamFields(f.params, () => replace(runNote, ""), "The setup function takes no parameters.");
    replace(runFormBody, runFields.el);
    replace(runForm.querySelector(".pxw-et-run-title") as HTMLElement, `New run of ${f.setup}`);
    replace(runNote, f.progress ? "" : "The setup does not report its steps: Cancel takes effect when it returns (the run is then recorded as failed).");
    runForm.hidden = false;
  }

  async function startRun(): Promise<void> {
    if (!runFields) return;
    const { params, firstBad } = runFields.values();
    if (firstBad) {
      firstBad.focus();
      replace(runNote, "Fix the marked parameters first.");
      return;
    }
    runFields.clearServerErrors();
    startBtn.disabled = true;
    try {
      const reply = await shell.call<RunReply>("run", { params }, { key: "run", rethrow: true, progress: "Starting the run" });
      show(reply.payload.timeline);
      replace(runNote, `v${reply.payload.version} built.`);
    } catch (err) {
      if (err instanceof Superseded) return;
      const named = runFields.showServerErrors(err);
      shell.showError(err);
      replace(runNote, named ? "The kernel refused the marked parameters; nothing ran." : "The run did not finish.");
      void refresh();
    } finally {
      startBtn.disabled = false;
    }
  }

  metricSelect.addEventListener("change", () => {
    model.set("metric", metricSelect.value);
    model.save_changes();
    void refresh(metricSelect.value);
  });

  function pickBox(version: number, disabled: boolean): HTMLElement {
    const box = h("input", { type: "checkbox", testid: `pxw-et-pick-${version}`, "aria-label": `Pick version ${version} to compare`, disabled }) as HTMLInputElement;
    box.checked = picked.includes(version);
    box.addEventListener("change", () => {
      picked = box.checked ? [...picked.filter((v) => v !== version), version].slice(-2) : picked.filter((v) => v !== version);
      for (const other of Array.from(runsBody.querySelectorAll<HTMLInputElement>("input[data-testid^='pxw-et-pick-']"))) {
        other.checked = picked.includes(Number(other.dataset.testid?.slice("pxw-et-pick-".length)));
      }
      updatePick();
    });
    return box;
  }

  function updatePick(): void {
    compareBtn.disabled = picked.length !== 2;
    const sorted = [...picked].sort((a, b) => a - b);
    replace(pickNote, picked.length === 2 ? `v${sorted[0]} → v${sorted[1]}` : picked.length === 1 ? `v${picked[0]} picked; pick one more.` : "Pick two versions to compare.");
  }

  function runActions(run: RunInfo): HTMLElement {
    const actions = h("span", { class: "pxw-et-actions" });
    if (!run.dropped && run.status === "ok") {
      actions.append(
        run.promoted
          ? button("Unpromote", () => void plan({ action: "unpromote", version: run.version }), { class: "pxw-btn pxw-btn-small", testid: `pxw-et-unpromote-${run.version}` })
          : button("Promote", () => void plan({ action: "promote", version: run.version }), { class: "pxw-btn pxw-btn-small", testid: `pxw-et-promote-${run.version}` }),
        button("Keep only this", () => void plan({ action: "promote_drop", version: run.version, force: forceBox.checked }), { class: "pxw-btn pxw-btn-small", testid: `pxw-et-promote-drop-${run.version}`, title: "Promote this version and drop every version cleanup may drop" }),
      );
    }
    if (!run.dropped && !run.latest && !run.promoted && run.status !== "running") {
      actions.append(button("Drop…", () => void plan({ action: "drop_version", version: run.version, force: forceBox.checked }), { class: "pxw-btn pxw-btn-small pxw-btn-danger-outline", testid: `pxw-et-drop-${run.version}` }));
    }
    return actions;
  }

  function versionActions(v: TableVersionInfo): HTMLElement {
    return h(
      "span",
      { class: "pxw-et-actions" },
      button("Snapshot", () => void snapshot(v.version), { class: "pxw-btn pxw-btn-small", testid: `pxw-et-snapshot-${v.version}`, title: "Save this version as a read-only snapshot table" }),
      v.version !== current ? button("Revert to here…", () => void plan({ action: "revert", version: v.version }), { class: "pxw-btn pxw-btn-small pxw-btn-danger-outline", testid: `pxw-et-revert-${v.version}` }) : null,
    );
  }

  function renderRuns(next: RunInfo[], metrics: string[], charted: string | null): void {
    runs = next;
    runsView.setColumns(runColumns(runs, metrics, charted, cells));
    runsView.setRows([...runs].reverse());
    const failed = runs.filter((r) => r.status === "failed" && !r.dropped);
    replace(failures, ...failed.map((r) => h("li", null, h("strong", null, `v${r.version} failed: `), r.error ?? "", r.tables.length ? ` — left ${r.tables.join(", ")} (Clean up drops them)` : "")));
    failures.hidden = failed.length === 0;
  }

  // ---- plans: show exactly what will happen, then run that plan only -------------------------------------------
  async function plan(req: PlanRequest): Promise<void> {
    const reply = await shell.call<PlanReply>("plan", req, { key: "plan" });
    if (!reply) return;
    const p = reply.payload.plan;
    const kept = reply.payload.kept;
    replace(planKept, ...kept.map((k) => h("li", null, h("strong", null, `v${k.version}`), ` stays: ${k.reason}`)));
    planKept.hidden = kept.length === 0;
    if (p.steps.length === 0) {
      confirm.cancel();
      replace(planKept, h("li", null, h("strong", null, `${p.title}: nothing to do.`)), ...Array.from(planKept.childNodes));
      planKept.hidden = false;
      return;
    }
    confirm.ask({
      message: `${p.title}?`,
      detail: [...p.steps.map((s, i) => `${i + 1}. ${s.description}`), ...p.warnings.map((w) => `! ${w}`)].join("\n"),
      confirmLabel: p.steps.some((s) => s.action.startsWith("drop") || s.action === "revert") ? "Confirm — this drops data" : "Confirm",
      onConfirm: async () => {
        const done = await shell.call<ExecuteReply>("execute", { ...req, token: p.token });
        planKept.hidden = true;
        if (done) {
          show(done.payload.timeline);
          clearCompare();
        }
      },
      onCancel: () => (planKept.hidden = true),
    });
  }

  async function snapshot(version: number): Promise<void> {
    const reply = await shell.call<SnapshotReply>("snapshot", { version });
    if (!reply) return;
    show(reply.payload.timeline);
    replace(planKept, h("li", { testid: "pxw-et-snapshot-done" }, "Snapshot saved as ", h("code", null, reply.payload.path)));
    planKept.hidden = false;
  }

  // ---- compare / diff -----------------------------------------------------------------------------------------
  function clearCompare(): void {
    replace(summary, h("span", { class: "pxw-dim" }, "Pick two versions on the timeline, then Compare."));
    deltas.hidden = true;
    diffBox.hidden = true;
    statBox.hidden = true;
    diffGrid.clear();
  }

  async function compare(): Promise<void> {
    if (picked.length !== 2) return;
    const [a, b] = [...picked].sort((x, y) => x - y);
    shell.tabs?.show("compare");
    model.set("selected", [a, b]);
    model.save_changes();
    if (isExperiment) {
      await compareRuns(a, b);
    } else if (await diffGrid.load({ a, b, kind: null, offset: 0 }, { reset: true })) {
      diffBox.hidden = false;
      await loadStat(a, b);
    }
  }

  async function compareRuns(a: number, b: number): Promise<void> {
    replace(summary, h("span", { class: "pxw-dim" }, `Comparing v${a} and v${b}…`));
    const reply = await shell.call<CompareReply>("compare", { a, b }, { key: "diff" });
    if (!reply) return;
    const c = reply.payload;
    paramDeltas.setColumns(deltaColumns<ParamDelta>("param", a, b, (p) => (p.same ? "" : "changed")));
    paramDeltas.setRows(c.params);
    paramDeltas.el.hidden = c.params.length === 0;
    metricDeltas.setColumns(deltaColumns<MetricDelta>("metric", a, b, metricChange));
    metricDeltas.setRows(c.metrics);
    metricDeltas.el.hidden = c.metrics.length === 0;
    deltas.hidden = c.params.length + c.metrics.length === 0;
    const schema = c.schema;
    const schemaLines = schema ? [...schema.added.map((s) => `+ ${s.name} (${s.type})`), ...schema.removed.map((s) => `− ${s.name} (${s.type})`), ...schema.changed.map((s) => `~ ${s.name}: ${s.a} → ${s.b}`)] : [];
    replace(
      summary,
      h("div", { class: "pxw-et-facts" }, c.rows_a !== null ? h("span", { class: "pxw-badge" }, `rows ${fmtCount(c.rows_a)} → ${fmtCount(c.rows_b ?? 0)}`) : null, h("span", { testid: "pxw-et-schema" }, schemaLines.length ? `schema: ${schemaLines.join("; ")}` : "same schema")),
      ...c.notes.map((n) => h("div", { class: "pxw-dim" }, n)),
    );
    diffBox.hidden = false;
    unmatched.hidden = c.diff !== null;
    diffGrid.el.hidden = c.diff === null;
    if (c.diff) {
      diffGrid.show({ payload: c.diff, buffers: reply.buffers }, { a, b, kind: null });
      showDiffPage(c.diff, false);
    } else {
      replace(counts);
      replace(notes);
    }
  }

  async function loadStat(a: number, b: number): Promise<void> {
    const reply = await shell.call<DiffStatInfo>("stat", { a, b }, { key: "stat", progress: false });
    if (!reply) return;
    const s = reply.payload;
    replace(
      statLine,
      `rows: ${fmtCount(s.unchanged)} unchanged, ${fmtCount(s.added)} added, ${fmtCount(s.removed)} removed, ${fmtCount(s.changed)} changed (${fmtCount(s.rows_a)} → ${fmtCount(s.rows_b)}) · ` +
        `cells: ${fmtCount(s.cells_added)} added, ${fmtCount(s.cells_removed)} removed, ${fmtCount(s.cells_modified)} modified`,
    );
    statView.setColumns(statColumns());
    statView.setRows(Object.entries(s.cells_changed).map(([column, n]) => ({ column, cells: n, of: Math.max(s.rows_b - s.added, 0) })));
    statBox.hidden = false;
  }

  /** The counts of the diff on screen (the kinds of change filter the rows when the kernel pages them) and its notes. */
  function showDiffPage(d: DiffPage, paged: boolean): void {
    if (paged) replace(summary, h("strong", null, `v${d.a} → v${d.b}`), h("span", { class: "pxw-dim" }, ` · ${d.elapsed_ms} ms, in the database, no media decoded`));
    const kind = diffGrid.query.kind ?? null;
    const chip = (label: string, n: number, k: string | null) =>
      button(`${label} ${fmtCount(n)}`, () => void diffGrid.load({ kind: k, offset: 0 }), {
        class: `pxw-btn pxw-btn-small pxw-et-chip pxw-et-chip-${k ?? "all"}${kind === k ? " pxw-et-chip-on" : ""}`,
        testid: `pxw-et-count-${k ?? "all"}`,
        "aria-pressed": String(kind === k),
        disabled: !paged,
      });
    replace(
      counts,
      chip("all", d.added + d.removed + d.changed, null),
      chip("added", d.added, "added"),
      chip("removed", d.removed, "removed"),
      chip("changed", d.changed, "changed"),
      h("span", { class: "pxw-dim", testid: "pxw-et-by-column" }, Object.entries(d.changed_by_column).filter(([, n]) => n > 0).map(([c, n]) => `${c}: ${fmtCount(n)}`).join(" · ") || "no column changed"),
    );
    replace(notes, ...d.notes.map((n) => h("div", { class: "pxw-dim pxw-et-note" }, n)));
  }

  void refresh();
  return () => {
    chart.dispose();
    for (const v of [runsView, versionsView, paramDeltas, metricDeltas]) v.dispose();
    statView.dispose();
    diffGrid.dispose();
    shell.dispose();
  };
}

export default { render };
