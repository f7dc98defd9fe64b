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
import { renderCell } from "../lib/cells";
import { Chart } from "../lib/chart";
import { ConfirmStrip } from "../lib/confirm";
import type { Json } from "../lib/contract";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { UrlPool } from "../lib/media";
import type { Reply } from "../lib/rpc";
import { PanelShell } from "../lib/shell";
import type {
  CompareReply,
  DiffColumnInfo,
  DiffPage,
  ExecuteReply,
  PlanReply,
  PlanRequest,
  RunInfo,
  SnapshotReply,
  TableVersionInfo,
  TimelineReply,
} from "./contract";

interface Traits {
  mode: string;
  name: string;
  metric: string;
  selected: number[];
  last_error: string;
}

const DIFF_PAGE = 25;

function text(value: Json | undefined): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? fmtCount(value) : value.toPrecision(4).replace(/\.?0+$/, "");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function seconds(s: number | null): string {
  if (s === null) return "—";
  return s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

function when(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  const mode = String(model.get("mode"));
  const isExperiment = mode === "experiment";
  let picked: number[] = [];
  let keepSet = false; // the keep box starts at the experiment's own keep, then is the user's
  let diffKind: string | null = null;
  let diffOffset = 0;
  const urls = new UrlPool();

  // ---- layout -------------------------------------------------------------------------------------------------
  const runsBody = h("div", { class: "pxw-et-runs", testid: "pxw-et-runs" });
  const chart = new Chart("pxw-et-chart");
  const metricSelect = select([], { testid: "pxw-et-metric", "aria-label": "Metric shown in the chart" });
  const chartBox = h("div", { class: "pxw-et-chart-box", hidden: !isExperiment }, h("label", { class: "pxw-et-metric" }, "Metric ", metricSelect), chart.el);
  const compareBtn = button("Compare the two picked", () => void compare(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-et-compare", disabled: true });
  const pickNote = h("span", { class: "pxw-dim", testid: "pxw-et-pick-note" }, "Pick two versions to compare.");
  const confirm = new ConfirmStrip();
  const planKept = h("ul", { class: "pxw-et-kept", testid: "pxw-et-kept", hidden: true });
  const timelineTab = h("div", { class: "pxw-et-timeline" }, chartBox, h("div", { class: "pxw-et-compare-bar" }, compareBtn, pickNote), runsBody);
  const summary = h("div", { class: "pxw-et-summary", testid: "pxw-et-summary" }, h("span", { class: "pxw-dim" }, "Pick two versions on the timeline, then Compare."));
  const diffBox = h("div", { class: "pxw-et-diff", testid: "pxw-et-diff" });
  const compareTab = h("div", { class: "pxw-et-compare" }, summary, diffBox);

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
  const cleanupBtn = button("Clean up…", () => void plan({ action: "cleanup", keep: Number(keepInput.value), force: forceBox.checked }), { class: "pxw-btn", testid: "pxw-et-cleanup", title: "Show what cleanup would drop, then confirm" });
  if (isExperiment) {
    shell.toolbar.append(h("label", { class: "pxw-et-keep-label" }, "keep ", keepInput), h("label", { class: "pxw-et-force-label" }, forceBox, " force"), cleanupBtn);
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
      void chart.update(t.figure);
      renderRuns(t.runs, t.metrics);
    } else {
      shell.setBadges(h("code", { class: "pxw-et-name", testid: "pxw-et-name" }, t.name), h("span", { class: "pxw-badge", testid: "pxw-et-count" }, `version ${t.current ?? "?"}`));
      renderVersions(t.versions, t.current);
    }
    updatePick();
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

  function statusChip(run: RunInfo): HTMLElement {
    const label = run.dropped ? "dropped" : run.status;
    return h("span", { class: `pxw-et-status pxw-et-status-${label}`, title: run.error ?? "", testid: `pxw-et-status-${run.version}` }, label);
  }

  function renderRuns(runs: RunInfo[], metrics: string[]): void {
    const params = Array.from(new Set(runs.flatMap((r) => Object.keys(r.params))));
    const head = h(
      "tr",
      null,
      h("th", { scope: "col" }, "pick"),
      h("th", { scope: "col" }, "version"),
      h("th", { scope: "col" }, "status"),
      ...params.map((p) => h("th", { scope: "col", class: "pxw-et-param" }, p)),
      ...metrics.map((m) => h("th", { scope: "col", class: "pxw-et-metric-col" }, m)),
      h("th", { scope: "col" }, "duration"),
      h("th", { scope: "col" }, "started"),
      h("th", { scope: "col" }, ""),
    );
    const rows = [...runs].reverse().map((run) => {
      const marks = [run.latest ? h("span", { class: "pxw-et-mark pxw-et-mark-latest", title: "latest" }, "★ latest") : null, run.promoted ? h("span", { class: "pxw-et-mark pxw-et-mark-promoted", title: "promoted: kept by every cleanup" }, "◆ promoted") : null];
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
      const tr = h(
        "tr",
        { testid: `pxw-et-run-${run.version}`, class: `pxw-et-row${run.latest ? " pxw-et-row-latest" : ""}${run.dropped ? " pxw-et-row-dropped" : ""}` },
        h("td", null, pickBox(run.version, run.dropped || run.status !== "ok")),
        h("td", { class: "pxw-et-version" }, h("strong", null, `v${run.version}`), ...marks),
        h("td", null, statusChip(run)),
        ...params.map((p) => h("td", { class: "pxw-et-num" }, text(run.params[p]))),
        ...metrics.map((m) => h("td", { class: "pxw-et-num", testid: `pxw-et-metric-${run.version}-${m}` }, text(run.metrics[m]))),
        h("td", { class: "pxw-et-num" }, seconds(run.duration_s)),
        h("td", { class: "pxw-dim" }, when(run.started_at)),
        h("td", null, actions),
      );
      if (run.error) tr.title = run.error;
      return tr;
    });
    replace(runsBody, runs.length ? h("table", { class: "pxw-table pxw-et-table" }, h("thead", null, head), h("tbody", null, ...rows)) : h("div", { class: "pxw-empty" }, "No runs yet: exp.run(**params) builds the first version."));
    const failed = runs.filter((r) => r.status === "failed" && !r.dropped);
    if (failed.length) {
      runsBody.append(
        h("ul", { class: "pxw-problems pxw-et-failures", testid: "pxw-et-failures" }, ...failed.map((r) => h("li", null, h("strong", null, `v${r.version} failed: `), r.error ?? "", r.tables.length ? ` — left ${r.tables.join(", ")} (Clean up drops them)` : ""))),
      );
    }
  }

  function renderVersions(versions: TableVersionInfo[], current: number | null): void {
    const head = h("tr", null, ...["pick", "version", "when", "change", "inserts", "updates", "deletes", "errors", "schema", ""].map((c) => h("th", { scope: "col" }, c)));
    const rows = versions.map((v) => {
      const actions = h(
        "span",
        { class: "pxw-et-actions" },
        button("Snapshot", () => void snapshot(v.version), { class: "pxw-btn pxw-btn-small", testid: `pxw-et-snapshot-${v.version}`, title: "Save this version as a read-only snapshot table" }),
        v.version !== current ? button("Revert to here…", () => void plan({ action: "revert", version: v.version }), { class: "pxw-btn pxw-btn-small pxw-btn-danger-outline", testid: `pxw-et-revert-${v.version}` }) : null,
      );
      return h(
        "tr",
        { testid: `pxw-et-run-${v.version}`, class: `pxw-et-row${v.version === current ? " pxw-et-row-latest" : ""}` },
        h("td", null, pickBox(v.version, false)),
        h("td", { class: "pxw-et-version" }, h("strong", null, `v${v.version}`), v.version === current ? h("span", { class: "pxw-et-mark pxw-et-mark-latest" }, "★ current") : null),
        h("td", { class: "pxw-dim" }, when(v.created_at)),
        h("td", null, v.change_type ?? ""),
        ...[v.inserts, v.updates, v.deletes, v.errors].map((n) => h("td", { class: "pxw-et-num" }, n ? fmtCount(n) : "")),
        h("td", null, v.schema_change ?? ""),
        h("td", null, actions),
      );
    });
    replace(runsBody, h("table", { class: "pxw-table pxw-et-table" }, h("thead", null, head), h("tbody", null, ...rows)));
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
    replace(diffBox);
    urls.revokeAll();
  }

  async function compare(): Promise<void> {
    if (picked.length !== 2) return;
    const [a, b] = [...picked].sort((x, y) => x - y);
    diffKind = null;
    diffOffset = 0;
    shell.tabs?.show("compare");
    model.set("selected", [a, b]);
    model.save_changes();
    await (isExperiment ? compareRuns(a, b) : loadDiff(a, b));
  }

  async function compareRuns(a: number, b: number): Promise<void> {
    replace(summary, h("span", { class: "pxw-dim" }, `Comparing v${a} and v${b}…`));
    const reply = await shell.call<CompareReply>("compare", { a, b }, { key: "diff" });
    if (!reply) return;
    const c = reply.payload;
    const paramRows = c.params.map((p) => h("tr", { class: p.same ? "" : "pxw-et-differs" }, h("th", { scope: "row" }, p.name), h("td", null, text(p.a)), h("td", null, text(p.b)), h("td", null, p.same ? "" : "changed")));
    const metricRows = c.metrics.map((m) => h("tr", { testid: `pxw-et-delta-${m.name}` }, h("th", { scope: "row" }, m.name), h("td", null, text(m.a)), h("td", null, text(m.b)), h("td", { class: m.delta === null || m.delta === 0 ? "" : m.delta > 0 ? "pxw-et-up" : "pxw-et-down" }, m.delta === null ? "" : `${m.delta > 0 ? "+" : ""}${text(m.delta)}`)));
    const table = (title: string, rows: HTMLElement[]) =>
      h("table", { class: "pxw-table pxw-et-delta" }, h("thead", null, h("tr", null, h("th", { scope: "col" }, title), h("th", { scope: "col" }, `v${a}`), h("th", { scope: "col" }, `v${b}`), h("th", { scope: "col" }, "Δ"))), h("tbody", null, ...rows));
    const schema = c.schema;
    const schemaLines = schema ? [...schema.added.map((s) => `+ ${s.name} (${s.type})`), ...schema.removed.map((s) => `− ${s.name} (${s.type})`), ...schema.changed.map((s) => `~ ${s.name}: ${s.a} → ${s.b}`)] : [];
    replace(
      summary,
      h("div", { class: "pxw-et-deltas" }, c.params.length ? table("param", paramRows) : null, c.metrics.length ? table("metric", metricRows) : null),
      h("div", { class: "pxw-et-facts" }, c.rows_a !== null ? h("span", { class: "pxw-badge" }, `rows ${fmtCount(c.rows_a)} → ${fmtCount(c.rows_b ?? 0)}`) : null, h("span", { testid: "pxw-et-schema" }, schemaLines.length ? `schema: ${schemaLines.join("; ")}` : "same schema")),
      ...c.notes.map((n) => h("div", { class: "pxw-dim" }, n)),
    );
    renderDiff(c.diff ? { payload: c.diff, buffers: reply.buffers } : null, false);
  }

  async function loadDiff(a: number, b: number): Promise<void> {
    const reply = await shell.call<DiffPage>("diff", { a, b, kind: diffKind, offset: diffOffset, limit: DIFF_PAGE }, { key: "diff" });
    if (!reply) return;
    replace(summary, h("strong", null, `v${reply.payload.a} → v${reply.payload.b}`), h("span", { class: "pxw-dim" }, ` · ${reply.payload.elapsed_ms} ms, in the database, no media decoded`));
    renderDiff(reply, true);
  }

  function chip(label: string, n: number, kind: string | null, paged: boolean, d: DiffPage): HTMLElement {
    const active = diffKind === kind;
    const b = button(`${label} ${fmtCount(n)}`, () => {
      if (!paged) return;
      diffKind = kind;
      diffOffset = 0;
      void loadDiff(d.a, d.b);
    }, { class: `pxw-btn pxw-btn-small pxw-et-chip pxw-et-chip-${kind ?? "all"}${active ? " pxw-et-chip-on" : ""}`, testid: `pxw-et-count-${kind ?? "all"}`, "aria-pressed": String(active), disabled: !paged });
    return b;
  }

  function renderDiff(reply: Reply<DiffPage> | null, paged: boolean): void {
    const old = urls.take();
    if (!reply) {
      replace(diffBox, h("div", { class: "pxw-empty" }, "The rows of these two versions could not be matched."));
      old.revokeAll();
      return;
    }
    const d = reply.payload;
    const cols = d.columns;
    const counts = h(
      "div",
      { class: "pxw-et-counts" },
      chip("all", d.added + d.removed + d.changed, null, paged, d),
      chip("added", d.added, "added", paged, d),
      chip("removed", d.removed, "removed", paged, d),
      chip("changed", d.changed, "changed", paged, d),
      h("span", { class: "pxw-dim", testid: "pxw-et-by-column" }, Object.entries(d.changed_by_column).filter(([, n]) => n > 0).map(([c, n]) => `${c}: ${fmtCount(n)}`).join(" · ") || "no column changed"),
    );
    const ctx = { buffers: reply.buffers, urls };
    const head = h("tr", null, h("th", { scope: "col" }, "change"), ...cols.map((c) => colHeader(c)));
    const rows = d.rows.map((r) => {
      const changed = new Set(r.changed);
      return h(
        "tr",
        { class: `pxw-et-diff-row pxw-et-${r.change}`, testid: "pxw-et-diff-row", "data-change": r.change },
        h("td", { class: "pxw-et-change" }, r.change === "added" ? "+ added" : r.change === "removed" ? "− removed" : "~ changed"),
        ...cols.map((c, j) => {
          const isChanged = changed.has(c.name);
          const td = h("td", { class: `pxw-td${isChanged ? " pxw-et-cell-changed" : ""}`, "data-column": c.name, testid: isChanged ? "pxw-et-changed-cell" : "pxw-et-cell" });
          const now = r.after?.[j] ?? r.before?.[j];
          if (isChanged && r.before && r.after) {
            td.append(
              h("div", { class: "pxw-et-before", title: "before" }, renderCell(r.before[j], { ...ctx, column: undefined })),
              h("div", { class: "pxw-et-after", title: "after" }, renderCell(r.after[j], { ...ctx, column: undefined })),
            );
          } else {
            td.append(renderCell(now, { ...ctx, column: undefined }));
          }
          return td;
        }),
      );
    });
    const pager = paged ? diffPager(d) : null;
    replace(
      diffBox,
      counts,
      d.rows.length ? h("div", { class: "pxw-grid-scroll pxw-et-diff-scroll" }, h("table", { class: "pxw-table pxw-et-diff-table", testid: "pxw-et-diff-table" }, h("thead", null, head), h("tbody", null, ...rows))) : h("div", { class: "pxw-empty", testid: "pxw-et-no-diff" }, "No rows differ."),
      pager,
      ...d.notes.map((n) => h("div", { class: "pxw-dim pxw-et-note" }, n)),
    );
    old.revokeAll();
  }

  function colHeader(c: DiffColumnInfo): HTMLElement {
    const mark = c.status === "key" ? " (key)" : c.status === "added" ? " (new)" : c.status === "removed" ? " (gone)" : "";
    return h("th", { scope: "col", title: `${c.type_text}${c.note ? ` — ${c.note}` : ""}`, class: c.compared ? "" : "pxw-dim" }, c.name, h("span", { class: "pxw-th-type" }, mark));
  }

  function diffPager(d: DiffPage): HTMLElement {
    const from = d.total ? d.offset + 1 : 0;
    const to = d.offset + d.rows.length;
    const prev = button("‹ previous", () => {
      diffOffset = Math.max(0, d.offset - d.limit);
      void loadDiff(d.a, d.b);
    }, { class: "pxw-btn pxw-btn-small", disabled: d.offset === 0, testid: "pxw-et-diff-prev" });
    const next = button("next ›", () => {
      diffOffset = d.offset + d.limit;
      void loadDiff(d.a, d.b);
    }, { class: "pxw-btn pxw-btn-small", disabled: to >= d.total, testid: "pxw-et-diff-next" });
    return h("div", { class: "pxw-pager" }, prev, h("span", { class: "pxw-page-info", testid: "pxw-et-diff-range" }, `${fmtCount(from)}–${fmtCount(to)} of ${fmtCount(d.total)}`), next);
  }

  void refresh();
  return () => {
    chart.dispose();
    urls.revokeAll();
    shell.dispose();
  };
}

export default { render };
