// TableBrowser: any Pixeltable table or view, paged, with media, computed columns, errors, lineage, versions
// and the code of every query, in the shared PanelShell. Talks to pxwidgets/panels/table_browser.py.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "./table_browser.css";
import { CodeBox } from "../lib/code";
import type { PageReply, PageRequest } from "../lib/contract";
import { fmtCount, h, replace } from "../lib/dom";
import { FilterBar } from "../lib/filters";
import { CsvExport, withPandasCode } from "../lib/export";
import { Grid } from "../lib/grid";
import { PanelShell, Superseded } from "../lib/shell";
import type { CatalogReply, HistoryReply, InfoReply } from "./contract";
import { Header } from "./header";
import { renderHistory } from "./history";
import { renderLineage, type LineageReply } from "./lineage";

interface Traits {
  path: string;
  page_size: number;
  last_error: string;
}

const FRESH_QUERY: Partial<PageRequest> = { offset: 0, order_by: null, filters: [] };

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  let info: InfoReply | null = null;
  let opening: string | null = null;
  let lastGrid = "Rows";

  // The grids keep only their newest page themselves and report failures through onError.
  const fetchPage = (key: string) => (req: PageRequest) => shell.call<PageReply>("page", req, { key, rethrow: true });
  const fetchCount = async (req: PageRequest) => (await shell.call<{ total: number }>("count", req, { rethrow: true })).payload.total;

  // ---- Rows and Errors: two grids over the same table -----------------------------------------------------
  const code = new CodeBox("Pixeltable code of the rows on screen");
  const onPage = (which: string) => (page: PageReply) => {
    if (!info) filterBar.setColumns(page.columns); // the table's info failed: filter on what the page shows
    lastGrid = which;
    code.set(withPandasCode(page.code, page.pandas_code));
    if (which === "Rows") exporter.setCode(withPandasCode(page.code, page.pandas_code));
  };
  const pageSize = Number(model.get("page_size")) || 25;
  const rows: Grid = new Grid({
    fetchPage: fetchPage("rows"),
    fetchCount,
    pageSize,
    onError: (err) => shell.showError(err),
    onPage: onPage("Rows"),
    onQuery: (q) => filterBar.setState(q.filters, q.errors_only),
    onPageSize: (n) => {
      if (model.get("page_size") !== n) {
        model.set("page_size", n);
        model.save_changes();
      }
    },
  });
  const filterBar = new FilterBar({
    onFilters: (filters) => rows.load({ filters, offset: 0 }),
    onErrorsOnly: (on) => rows.load({ errors_only: on, offset: 0 }),
    onInvalid: (message) => shell.showError(new Error(message)),
  });
  const errorGrid: Grid = new Grid({
    fetchPage: fetchPage("errors"),
    fetchCount,
    pageSize,
    errorsOnly: true,
    idPrefix: "pxw-errors",
    emptyText: "No rows with errors.",
    onError: (err) => shell.showError(err),
    onPage: onPage("Errors"),
  });
  const errorCounts = h("div", { class: "pxw-error-counts", testid: "pxw-error-counts" });

  // ---- Download CSV of the Rows grid's whole filtered, sorted result (streamed from the kernel in chunks) -----
  const exporter = new CsvExport({ shell: () => shell, query: () => rows.query });

  // ---- Lineage and History: fetched when their tab is shown, again after open/refresh ---------------------
  const lineageBox = h("div", { class: "pxw-tab-body" }, h("div", { class: "pxw-dim" }, "Loading lineage…"));
  const historyBox = h("div", { class: "pxw-tab-body" }, h("div", { class: "pxw-dim" }, "Loading history…"));
  const stale = { errors: true, lineage: true, history: true };
  let errorsReload: Partial<PageRequest> = { offset: 0 };

  function showErrors(): void {
    if (!stale.errors) return;
    stale.errors = false;
    const changes = errorsReload;
    errorsReload = {};
    void errorGrid.load(changes, { reset: "filters" in changes });
  }

  async function loadLineage(): Promise<void> {
    stale.lineage = false;
    const reply = await shell.call<LineageReply>("lineage", {}, { key: "lineage" });
    if (reply) replace(lineageBox, renderLineage(reply.payload, (path) => void open(path)));
    else stale.lineage = true; // failed (shown) or replaced by a newer request: fetched again when next shown
  }
  async function loadHistory(): Promise<void> {
    stale.history = false;
    const reply = await shell.call<HistoryReply>("history", {}, { key: "history" });
    if (reply) replace(historyBox, renderHistory(reply.payload, info?.version ?? null));
    else stale.history = true;
  }

  const shell: PanelShell = new PanelShell(model as AnyModel, {
    title: "Table browser",
    testid: "pxw-table-browser",
    class: "pxw-table-browser",
    tabs: [
      { name: "rows", label: "Rows", content: h("div", { class: "pxw-tab-body" }, filterBar.el, exporter.el, rows.el) },
      { name: "errors", label: "Errors", content: h("div", { class: "pxw-tab-body" }, errorCounts, errorGrid.el), onShow: () => showErrors() },
      { name: "lineage", label: "Lineage", content: lineageBox, onShow: () => void (stale.lineage && loadLineage()) },
      { name: "history", label: "History", content: historyBox, onShow: () => void (stale.history && loadHistory()) },
      {
        name: "code",
        label: "Code",
        content: h("div", { class: "pxw-tab-body" }, code.el),
        onShow: () => code.setCaption(`Pixeltable code of the ${lastGrid === "Rows" ? "rows" : "error rows"} on screen`),
      },
    ],
  });
  const tabs = shell.tabs!;

  // ---- the table itself -------------------------------------------------------------------------------------
  const header = new Header(shell, { onOpen: (path) => void open(path), onRefresh: () => void refresh() });

  function applyInfo(next: InfoReply): void {
    info = next;
    header.setInfo(next);
    filterBar.setColumns(next.columns);
    const total = next.error_counts.reduce((n, e) => n + e.count, 0);
    tabs.setLabel("errors", "Errors", total ? fmtCount(total) : undefined);
    replace(
      errorCounts,
      total ? h("span", { class: "pxw-filter-label" }, "Errors by column") : h("span", { class: "pxw-dim" }, "No errors in any computed column."),
      ...next.error_counts
        .filter((e) => e.count > 0)
        .map((e) => h("span", { class: "pxw-count-chip", testid: "pxw-error-count", "data-column": e.column }, e.column, h("span", { class: "pxw-count-num" }, fmtCount(e.count)))),
    );
    stale.lineage = stale.history = true;
    if (tabs.active === "lineage") void loadLineage();
    if (tabs.active === "history") void loadHistory();
  }

  /** Reload both grids: "fresh" for another table (its first page, no filters), "keep" for a refresh. */
  function reloadGrids(mode: "fresh" | "keep"): void {
    const fresh = mode === "fresh";
    void rows.load(fresh ? { ...FRESH_QUERY, errors_only: false } : {}, { reset: fresh });
    if (fresh) errorsReload = { ...FRESH_QUERY };
    else if (!stale.errors) errorsReload = {}; // a pending switch to another table is kept
    stale.errors = true;
    if (tabs.active === "errors") showErrors();
  }

  /** Ask the kernel for the table's info (`info`) or to switch tables (`open`); on failure nothing changes. */
  async function loadInfo(kind: "info" | "open", payload: object = {}): Promise<boolean> {
    header.setBusy(true);
    let superseded = false; // only the newest answer counts: an older one may describe another table
    try {
      applyInfo((await shell.call<InfoReply>(kind, payload, { key: "info", rethrow: true })).payload);
      return true;
    } catch (err) {
      superseded = err instanceof Superseded;
      if (!superseded) {
        shell.showError(err);
        if (info) header.setInfo(info);
      }
      return false;
    } finally {
      if (!superseded) header.setBusy(false);
    }
  }

  async function loadCatalog(): Promise<void> {
    const reply = await shell.call<CatalogReply>("catalog", {}, { key: "catalog" });
    if (reply) header.setCatalog(reply.payload);
  }

  async function open(path: string): Promise<void> {
    if (path === info?.path || opening) return;
    opening = path;
    try {
      if (await loadInfo("open", { path })) reloadGrids("fresh");
    } finally {
      opening = null;
    }
  }

  async function refresh(): Promise<void> {
    shell.errors.clear();
    reloadGrids("keep");
    await Promise.all([loadInfo("info"), loadCatalog()]);
  }

  // ---- traits -----------------------------------------------------------------------------------------------
  const onPath = () => {
    // Set from Python: the kernel already shows the other table, so the grids follow even if its info fails.
    const path = String(model.get("path") ?? "");
    if (!path || path === info?.path || path === opening) return;
    header.setPath(path);
    reloadGrids("fresh");
    void loadInfo("info");
  };
  const onPageSizeTrait = () => {
    const n = Number(model.get("page_size"));
    if (n > 0 && n !== rows.query.limit) void rows.setPageSize(n);
  };
  model.on("change:path", onPath);
  model.on("change:page_size", onPageSizeTrait);

  el.replaceChildren(shell.el);
  header.setPath(String(model.get("path") ?? ""));
  void rows.load(); // the first page does not wait for the table's info
  void loadInfo("info");
  void loadCatalog();

  return () => {
    model.off("change:path", onPath);
    model.off("change:page_size", onPageSizeTrait);
    exporter.dispose();
    shell.dispose();
    rows.dispose();
    errorGrid.dispose();
    code.dispose();
    shell.el.remove();
  };
}

export default { render };
