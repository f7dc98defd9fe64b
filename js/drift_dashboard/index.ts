// DriftDashboard: metrics and drift per time window of an incremental evaluation, its alerts, the confusion matrix
// of a picked window, and the settings (window size, reference, thresholds) — validated in the kernel, refused fields
// marked. Refreshes on demand, and by itself when the evaluated table's version changes.
// Talks to pxwidgets/panels/drift_dashboard.py; traits hold only table / name / statistic / bucket / auto_refresh.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "./drift_dashboard.css";
import { Chart } from "../lib/chart";
import type { Json } from "../lib/contract";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { ParamFields } from "../lib/param_form";
import { PanelShell } from "../lib/shell";
import type { AlertInfo, DashboardState, VersionReply, WindowInfo, WindowReply } from "./contract";

interface Traits {
  table: string;
  name: string;
  statistic: string;
  bucket: number;
  auto_refresh: boolean;
  last_error: string;
}

const POLL_MS = 2500;

const STAT_LABELS: Record<string, string> = {
  psi: "PSI",
  js: "Jensen–Shannon",
  ks_pvalue: "KS p-value",
  wasserstein: "Wasserstein (normed)",
};

function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return "—";
  if (Math.abs(value) > 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(1);
  return value.toFixed(digits);
}

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  let state: DashboardState | null = null;
  let lastVersion: number | null = null;
  let polling = false;
  let renderedSettings = "";

  // ---- layout -------------------------------------------------------------------------------------------------
  const metricsChart = new Chart("pxw-dd-metrics-chart");
  const driftChart = new Chart("pxw-dd-drift-chart");
  const rowsChart = new Chart("pxw-dd-rows-chart");
  const confusionChart = new Chart("pxw-dd-confusion-chart");
  const statSelect = select([], { testid: "pxw-dd-statistic", "aria-label": "Drift statistic shown in the chart" });
  const alertsList = h("div", { class: "pxw-dd-alerts", testid: "pxw-dd-alerts" });
  const alertsTitle = h("h4", { class: "pxw-dd-h" }, "Alerts");
  const overview = h(
    "div",
    { class: "pxw-dd-overview" },
    h("div", { class: "pxw-dd-charts" },
      h("div", { class: "pxw-dd-chart-box" }, metricsChart.el),
      h("div", { class: "pxw-dd-chart-box" }, h("label", { class: "pxw-dd-stat" }, "Drift statistic ", statSelect), driftChart.el),
    ),
    h("div", { class: "pxw-dd-side" }, alertsTitle, alertsList),
  );
  const windowsTable = h("div", { class: "pxw-dd-windows", testid: "pxw-dd-windows" });
  const windowDetail = h("div", { class: "pxw-dd-detail", testid: "pxw-dd-detail" }, h("span", { class: "pxw-dim" }, "Click a window to see its confusion matrix."));
  const windowsTab = h(
    "div",
    { class: "pxw-dd-windows-tab" },
    h("div", { class: "pxw-dd-chart-box pxw-dd-rows-box" }, rowsChart.el),
    windowsTable,
    h("div", { class: "pxw-dd-detail-box" }, windowDetail, h("div", { class: "pxw-dd-chart-box pxw-dd-confusion-box" }, confusionChart.el)),
  );

  const windowInput = h("input", { type: "text", class: "pxw-input", testid: "pxw-dd-window", "aria-label": "Window size", placeholder: "1h, 15min, 1d, 500 rows", spellcheck: "false" }) as HTMLInputElement;
  const refKind = select([["first", "the first window"], ["window", "one window"], ["range", "a date range"], ["snapshot", "a snapshot"]], { testid: "pxw-dd-ref-kind", "aria-label": "Reference" });
  const refWindow = select([], { testid: "pxw-dd-ref-window", "aria-label": "Reference window" });
  const refStart = h("input", { type: "text", class: "pxw-input", testid: "pxw-dd-ref-start", placeholder: "2026-01-05T08:00", "aria-label": "Reference start" }) as HTMLInputElement;
  const refEnd = h("input", { type: "text", class: "pxw-input", testid: "pxw-dd-ref-end", placeholder: "2026-01-05T12:00", "aria-label": "Reference end" }) as HTMLInputElement;
  const refPath = h("input", { type: "text", class: "pxw-input", testid: "pxw-dd-ref-path", placeholder: "dir/evaluation/snapshots/name_rows", "aria-label": "Snapshot path" }) as HTMLInputElement;
  const refParts = h("span", { class: "pxw-dd-ref-parts" });
  const thresholdsBox = h("div", { class: "pxw-dd-thresholds", testid: "pxw-dd-thresholds" });
  let fields: ParamFields | null = null;
  const applyBtn = button("Apply", () => void apply(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-dd-apply" });
  const settingsNote = h("span", { class: "pxw-dim", testid: "pxw-dd-settings-note" });
  const settingsTab = h(
    "div",
    { class: "pxw-dd-settings" },
    h("div", { class: "pxw-dd-row" }, h("label", { class: "pxw-dd-label" }, "Window ", windowInput)),
    h("div", { class: "pxw-dd-row" }, h("label", { class: "pxw-dd-label" }, "Compare with ", refKind), refParts),
    h("h4", { class: "pxw-dd-h" }, "Thresholds"),
    thresholdsBox,
    h("div", { class: "pxw-dd-row" }, applyBtn, settingsNote),
  );

  const shell = new PanelShell(model as AnyModel, {
    title: "Drift dashboard",
    testid: "pxw-drift-dashboard",
    tabs: [
      { name: "overview", label: "Overview", content: overview },
      { name: "windows", label: "Windows", content: windowsTab },
      { name: "settings", label: "Settings", content: settingsTab },
    ],
  });
  const autoBox = h("input", { type: "checkbox", testid: "pxw-dd-auto", title: "Refresh when the table changes" }) as HTMLInputElement;
  autoBox.checked = Boolean(model.get("auto_refresh"));
  const refreshBtn = button("↻ Refresh", () => void refresh(), { class: "pxw-btn", testid: "pxw-dd-refresh", title: "Recompute the windows whose rows changed" });
  const lastRefresh = h("span", { class: "pxw-dim pxw-dd-last", testid: "pxw-dd-last" });
  shell.toolbar.append(lastRefresh, h("label", { class: "pxw-dd-auto-label" }, autoBox, " auto"), refreshBtn);
  el.replaceChildren(shell.el);

  // ---- state --------------------------------------------------------------------------------------------------
  function statistic(): string {
    return String(model.get("statistic") || "psi");
  }

  async function load(kind: "state" | "refresh"): Promise<void> {
    const reply = await shell.call<DashboardState>(kind, { statistic: statistic() }, { key: "state" });
    if (reply) show(reply.payload);
  }

  const refresh = () => load("refresh");

  function show(s: DashboardState): void {
    const firstShow = state === null;
    state = s;
    lastVersion = s.version;
    shell.setBadges(
      h("code", { class: "pxw-dd-table", testid: "pxw-dd-table" }, s.table),
      h("span", { class: "pxw-badge", testid: "pxw-dd-window-badge" }, `windows of ${s.window}`),
      h("span", { class: "pxw-badge", testid: "pxw-dd-count" }, `${fmtCount(s.windows.length)} windows`),
      h("span", { class: `pxw-badge${s.pending ? " pxw-dd-pending" : ""}`, testid: "pxw-dd-pending", title: "Rows whose ground truth has not arrived: counted, not scored" }, `${fmtCount(s.pending)} waiting for labels`),
      h("span", { class: `pxw-badge${s.alerts.length ? " pxw-dd-alert-badge" : ""}`, testid: "pxw-dd-alert-count" }, `${fmtCount(s.alerts.length)} alerts`),
    );
    if (s.refreshed) {
      const r = s.refreshed;
      replace(lastRefresh, `refreshed: ${r.changed} recomputed, ${r.unchanged} kept, ${r.alerts} new alerts · ${Math.round(r.elapsed_ms)} ms${r.unplaced ? ` · ${fmtCount(r.unplaced)} rows without timestamp` : ""}${r.future ? ` · ${fmtCount(r.future)} rows stamped in the future (left out)` : ""}`);
    }
    replace(statSelect, ...s.statistics.map((k) => h("option", { value: k }, STAT_LABELS[k] ?? k)));
    statSelect.value = s.statistic;
    void metricsChart.update(s.metrics_figure);
    void driftChart.update(s.drift_figure);
    void rowsChart.update(s.rows_figure);
    renderAlerts(s.alerts);
    renderWindows(s.windows, s.kind === "detections");
    // the form is rebuilt only when the stored settings changed, so edits not applied yet survive a refresh
    const settingsKey = JSON.stringify([s.window, s.reference, s.thresholds]);
    if (firstShow || settingsKey !== renderedSettings) {
      renderedSettings = settingsKey;
      renderSettings(s);
    }
    const picked = Number(model.get("bucket"));
    if (picked >= 0 && s.windows.some((w) => w.bucket === picked)) void pickWindow(picked);
  }

  function renderAlerts(alerts: AlertInfo[]): void {
    replace(alertsTitle, `Alerts (${alerts.length})`);
    if (!alerts.length) {
      replace(alertsList, h("div", { class: "pxw-dim", testid: "pxw-dd-no-alerts" }, "No alert: no complete window crossed a threshold."));
      return;
    }
    const newest = [...alerts].reverse();
    replace(
      alertsList,
      ...newest.map((a) =>
        h(
          "div",
          { class: "pxw-dd-alert", testid: `pxw-dd-alert-${a.statistic}-${a.column}-${a.bucket}`, title: `raised ${a.raised_at}` },
          h("span", { class: "pxw-dd-alert-window" }, a.window),
          h("span", { class: "pxw-dd-alert-stat" }, `${STAT_LABELS[a.statistic] ?? a.statistic} · ${a.column}`),
          h("span", { class: "pxw-dd-alert-msg" }, a.message),
        ),
      ),
    );
  }

  function renderWindows(windows: WindowInfo[], boxes: boolean): void {
    const titles = boxes
      ? ["window", "rows", "waiting", "errors", "precision", "recall", "F1", "mAP@.5", "mAP", "alerts"]
      : ["window", "rows", "waiting", "accuracy", "precision", "recall", "F1", "alerts"];
    const head = h("tr", null, ...titles.map((c) => h("th", { scope: "col" }, c)));
    const picked = Number(model.get("bucket"));
    const rows = windows.map((w) =>
      h(
        "tr",
        { testid: `pxw-dd-window-${w.bucket}`, class: `pxw-dd-wrow${w.bucket === picked ? " pxw-dd-picked" : ""}${w.alerts ? " pxw-dd-alerted" : ""}`, tabindex: "0" },
        h("td", null, w.label),
        h("td", { class: "pxw-dd-num" }, fmtCount(w.rows)),
        h("td", { class: "pxw-dd-num" }, fmtCount(w.pending)),
        boxes
          ? h("td", { class: "pxw-dd-num", testid: `pxw-dd-errors-${w.bucket}` }, fmtCount(w.errors))
          : h(
              "td",
              { class: `pxw-dd-num${w.accuracy == null && w.estimated_accuracy != null ? " pxw-dd-estimated" : ""}`, testid: `pxw-dd-accuracy-${w.bucket}`, title: w.estimated_accuracy != null ? `estimated from the confidences: ${num(w.estimated_accuracy)}` : "" },
              w.accuracy == null && w.estimated_accuracy != null ? `≈${num(w.estimated_accuracy)}` : num(w.accuracy),
            ),
        h("td", { class: "pxw-dd-num" }, num(w.precision)),
        h("td", { class: "pxw-dd-num" }, num(w.recall)),
        h("td", { class: "pxw-dd-num" }, num(w.f1)),
        ...(boxes ? [h("td", { class: "pxw-dd-num", testid: `pxw-dd-map50-${w.bucket}` }, num(w.map50)), h("td", { class: "pxw-dd-num" }, num(w.map))] : []),
        h("td", { class: "pxw-dd-num" }, w.alerts ? `⚠ ${w.alerts}` : ""),
      ),
    );
    rows.forEach((tr, i) => {
      const pick = () => void pickWindow(windows[i].bucket);
      tr.addEventListener("click", pick);
      tr.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          pick();
        }
      });
    });
    replace(windowsTable, h("table", { class: "pxw-table pxw-dd-table-w" }, h("thead", null, head), h("tbody", null, ...rows)));
    replace(refWindow, ...windows.map((w) => h("option", { value: String(w.bucket) }, w.label)));
  }

  async function pickWindow(bucket: number): Promise<void> {
    model.set("bucket", bucket);
    model.save_changes();
    for (const tr of Array.from(windowsTable.querySelectorAll("tr[data-testid^='pxw-dd-window-']"))) {
      tr.classList.toggle("pxw-dd-picked", tr.getAttribute("data-testid") === `pxw-dd-window-${bucket}`);
    }
    const reply = await shell.call<WindowReply>("window", { bucket }, { key: "window" });
    if (!reply) return;
    const w = reply.payload;
    const drift = Object.entries(w.drift).map(([column, stats]) =>
      h("tr", null, h("td", null, column), ...["psi", "js", "ks_pvalue", "wasserstein"].map((k) => h("td", { class: "pxw-dd-num" }, typeof stats[k] === "number" ? num(stats[k] as number) : "—"))),
    );
    const boxes = w.classes.some((c) => c.ap50 != null);
    const classes = w.classes.map((c) =>
      h(
        "tr",
        null,
        h("td", null, c.label),
        h("td", { class: "pxw-dd-num" }, fmtCount(c.support)),
        h("td", { class: "pxw-dd-num" }, num(c.precision)),
        h("td", { class: "pxw-dd-num" }, num(c.recall)),
        h("td", { class: "pxw-dd-num" }, num(c.f1)),
        ...(boxes ? [h("td", { class: "pxw-dd-num" }, num(c.ap50)), h("td", { class: "pxw-dd-num" }, num(c.ap))] : []),
      ),
    );
    const classTitles = ["class", "support", "precision", "recall", "F1", ...(boxes ? ["AP@.5", "AP"] : [])];
    replace(
      windowDetail,
      h("div", { class: "pxw-dd-detail-title", testid: "pxw-dd-detail-title" }, `${w.label}: ${fmtCount(w.rows)} rows, ${fmtCount(w.labeled)} labeled, ${fmtCount(w.pending)} waiting${w.errors ? `, ${fmtCount(w.errors)} errors` : ""}`),
      h("table", { class: "pxw-table pxw-dd-small" }, h("thead", null, h("tr", null, ...["column", "PSI", "JS", "KS p", "Wasserstein"].map((c) => h("th", { scope: "col" }, c)))), h("tbody", null, ...drift)),
      classes.length
        ? h("table", { class: "pxw-table pxw-dd-small" }, h("thead", null, h("tr", null, ...classTitles.map((c) => h("th", { scope: "col" }, c)))), h("tbody", null, ...classes))
        : h("div", { class: "pxw-dim" }, "No labels in this window yet."),
    );
    void confusionChart.update(w.figure);
  }

  // ---- settings -----------------------------------------------------------------------------------------------
  function showRefParts(): void {
    const kind = refKind.value;
    replace(refParts, kind === "window" ? refWindow : kind === "range" ? h("span", null, refStart, " to ", refEnd) : kind === "snapshot" ? refPath : null);
  }
  refKind.addEventListener("change", showRefParts);

  function renderSettings(s: DashboardState): void {
    windowInput.value = s.window;
    refKind.value = s.reference.kind;
    if (s.reference.bucket !== undefined) refWindow.value = String(s.reference.bucket);
    refStart.value = s.reference.kind === "range" ? (s.reference.start ?? "") : refStart.value;
    refEnd.value = s.reference.end ?? refEnd.value;
    refPath.value = s.reference.path ?? refPath.value;
    if (s.reference.kind === "window" && s.reference.start && !s.reference.bucket) refKind.value = "range";
    showRefParts();
    const specs = s.threshold_params.map((p) => ({ ...p, default: (s.thresholds[p.name] ?? null) as Json }));
    fields = new ParamFields(specs, () => replace(settingsNote, "Not applied yet."));
    replace(thresholdsBox, fields.el);
    replace(settingsNote, `Reference: ${s.reference.text}.`);
  }

  function reference(): Record<string, Json> | null {
    switch (refKind.value) {
      case "window":
        return { kind: "window", bucket: Number(refWindow.value) };
      case "range":
        return { kind: "range", start: refStart.value.trim(), end: refEnd.value.trim() };
      case "snapshot":
        return { kind: "snapshot", path: refPath.value.trim() };
      default:
        return null;
    }
  }

  async function apply(): Promise<void> {
    if (!fields) return;
    const { params, firstBad } = fields.values();
    if (firstBad) {
      firstBad.focus();
      replace(settingsNote, "Fix the marked thresholds first.");
      return;
    }
    fields.clearServerErrors();
    try {
      const reply = await shell.call<DashboardState>(
        "configure",
        { window: windowInput.value.trim(), reference: reference(), thresholds: params, statistic: statistic() },
        { key: "state", rethrow: true },
      );
      if (reply) {
        show(reply.payload);
        replace(settingsNote, `Applied. Reference: ${reply.payload.reference.text}.`);
      }
    } catch (err) {
      const named = fields.showServerErrors(err);
      shell.showError(err);
      replace(settingsNote, named ? "The kernel refused the marked thresholds; nothing changed." : "Refused; nothing changed.");
    }
  }

  statSelect.addEventListener("change", () => {
    model.set("statistic", statSelect.value);
    model.save_changes();
    void load("state");
  });

  // ---- automatic refresh ---------------------------------------------------------------------------------------
  autoBox.addEventListener("change", () => {
    model.set("auto_refresh", autoBox.checked);
    model.save_changes();
  });
  const timer = setInterval(async () => {
    if (!autoBox.checked || polling || lastVersion === null || !el.isConnected) return;
    polling = true;
    try {
      const reply = await shell.call<VersionReply>("version", {}, { key: "version", progress: false, rethrow: true });
      if (reply && reply.payload.version !== lastVersion) await refresh();
    } catch {
      // a failed poll is retried at the next tick; errors of the refresh itself are shown by the shell
    } finally {
      polling = false;
    }
  }, POLL_MS);

  void refresh();
  return () => {
    clearInterval(timer);
    for (const c of [metricsChart, driftChart, rowsChart, confusionChart]) c.dispose();
    shell.dispose();
  };
}

export default { render };
