// The row grid every panel shares. Three layers, each built on the one before:
// - `GridView` shows rows it is given: columns with their own cell renderers, a scrolling viewport of bounded height
//   under a sticky header, a compact or comfortable density, and the extension points (row classes and attributes,
//   changed-cell marks, header badges, row clicks).
// - `PagedGrid` pages any server-side query: a pager, a loading bar, "the latest request wins"; the previous page
//   stays on screen while the next one loads, and stays when a request fails.
// - `Grid` is the PagedGrid over a table's pages (PageRequest / PageReply: typed headers, sorting, media cells).

import "./theme.css";
import "./grid.css";
import "./cells.css";
import { renderCell } from "./cells";
import type { Cell, ColumnInfo, PageReply, PageRequest } from "./contract";
import { append, h, replace, select, type Attrs, type Child } from "./dom";
import { closeLightbox, openLightbox, UrlPool } from "./media";
import { lastOffset, Pager } from "./pager";
import type { Reply } from "./rpc";

/** Row spacing: compact fits about twice the rows of comfortable in the same viewport. */
export type Density = "compact" | "comfortable";
export const DENSITIES: Density[] = ["comfortable", "compact"];

export interface SortOrder {
  column: string;
  asc: boolean;
}

/** What a cell renderer gets besides its row: the page's binary buffers, the URL pool they go in, a larger view. */
export interface PageContext {
  buffers: DataView[];
  /** Owns the object URLs of the page on screen; revoked when the next page is on screen. */
  urls: UrlPool;
  /** Open an image larger, over the grid. */
  openImage: (url: string, cell: Cell, caption: string) => void;
}

/** One column: how its header reads and how its cells render. */
export interface GridColumn<R> {
  /** The data-column of its header and cells; unique within the grid. */
  key: string;
  /** The header's name (default: the key). */
  label?: string;
  /** The header's tooltip. */
  title?: string;
  /** The small line under the name (a type, a unit, markers). */
  meta?: Child;
  /** A problem with the column, shown in its header. */
  problem?: string | null;
  /** A click on the header sorts by this column (through the grid's `onSort`). */
  sortable?: boolean;
  /** A colour bar under the header (e.g. the model's colour in a comparison). */
  accent?: string;
  /** Right-aligned tabular figures. */
  numeric?: boolean;
  /** Dimmed header and cells (secondary facts, e.g. a start time). */
  muted?: boolean;
  /** Extra classes of the header cell (e.g. "pxw-muted" on a column that is shown but not compared). */
  headerClass?: string;
  /** The content of the column's cell in `row` (a custom renderer; `cellContent` renders a table's `Cell`). */
  render: (row: R, ctx: PageContext, rowIndex: number) => Child;
  /** Attributes of the cell's <td> (a data-testid, classes, a tooltip). */
  cellAttrs?: (row: R, rowIndex: number) => Attrs | null | undefined;
}

/** How a panel extends the rows on top of its columns' renderers. */
export interface RowExtensions<R> {
  /** Extra classes of a row's <tr> (e.g. "pxw-cg-disagreement", "pxw-cg-tie"). */
  rowClass?: (row: R, rowIndex: number) => string | null | undefined;
  /** Extra attributes of a row's <tr> (a data-testid, a tooltip). */
  rowAttrs?: (row: R, rowIndex: number) => Attrs | null | undefined;
  /** Changed-cell marks: the keys of the columns whose value changed in this row (a row diff). */
  changed?: (row: R, rowIndex: number) => Iterable<string> | null | undefined;
  /** Something shown in a column's header after its meta (e.g. a model's accuracy, a "best model" badge). */
  headerBadge?: (column: GridColumn<R>) => Child;
  /** A row was clicked or Enter pressed on it (not a button, link, input or thumbnail inside it). */
  onRowClick?: (row: R, rowIndex: number) => void;
}

export interface GridViewOptions<R> extends RowExtensions<R> {
  /** Prefix of every data-testid inside this grid (default "pxw"): two grids in one panel stay distinct. */
  idPrefix?: string;
  /** The data-testid of the grid itself (default `${idPrefix}-grid`). */
  testid?: string;
  /** The "#" column: its text per row (default: the position from the page's offset); false leaves it out. */
  rowNumber?: ((row: R, rowIndex: number, offset: number) => string) | false;
  emptyText?: string;
  density?: Density;
  /** The viewport's height limit in px (default: the CSS variable --pxw-grid-height); rows beyond it scroll. */
  maxHeight?: number;
  /** A sortable header was clicked. */
  onSort?: (column: string) => void;
}

const CLICK_IGNORED = "button, a, input, select, textarea, label, summary, .pxw-thumb";

/** Rows a panel hands over, in a viewport that scrolls under a sticky header. */
export class GridView<R> {
  readonly el: HTMLElement;
  /** The scrolling viewport (both directions). */
  readonly scroller: HTMLElement;
  private readonly table = h("table", { class: "pxw-table" });
  private readonly thead = h("thead");
  private readonly tbody = h("tbody");
  private readonly empty = h("div", { class: "pxw-empty", hidden: true });
  private readonly body: HTMLElement;
  private readonly resizeObserver: ResizeObserver | undefined;
  private readonly prefix: string;
  private columns: GridColumn<R>[] = [];
  private headerKey: string | null = null;
  private sort: SortOrder | null = null;
  private density: Density = "comfortable";
  private urls = new UrlPool();

  constructor(private readonly opts: GridViewOptions<R> = {}) {
    this.prefix = opts.idPrefix ?? "pxw";
    this.empty.setAttribute("data-testid", `${this.prefix}-empty`);
    this.table.append(this.thead, this.tbody);
    this.scroller = h("div", { class: "pxw-grid-scroll", testid: `${this.prefix}-grid-scroll` }, this.table, this.empty);
    if (opts.maxHeight) this.scroller.style.setProperty("--pxw-grid-height", `${opts.maxHeight}px`);
    this.body = h("div", { class: "pxw-grid-body" }, this.scroller, h("div", { class: "pxw-grid-fade", testid: `${this.prefix}-grid-fade`, "aria-hidden": "true" }));
    this.el = h("div", { class: "pxw-grid", testid: opts.testid ?? `${this.prefix}-grid` }, h("div", { class: "pxw-grid-loading", "aria-hidden": "true" }), this.body);
    this.setDensity(opts.density ?? "comfortable");
    this.scroller.addEventListener("scroll", () => this.updateOverflow(), { passive: true });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver(() => this.updateOverflow());
      this.resizeObserver.observe(this.scroller);
      this.resizeObserver.observe(this.table);
    }
  }

  /** The columns on screen. */
  get columnList(): readonly GridColumn<R>[] {
    return this.columns;
  }

  /**
   * Set the columns; the header is drawn again unless `key` equals the key of the header on screen (so a header
   * that marks or scrolls stays as it is while the pages of one table come and go).
   */
  setColumns(columns: GridColumn<R>[], key?: string): void {
    this.columns = columns;
    if (key !== undefined && key === this.headerKey) return;
    this.headerKey = key ?? null;
    this.renderHeader();
  }

  /** Draw the header again (e.g. its badges changed). */
  refreshHeader(): void {
    this.renderHeader();
  }

  /** Show rows (the previous page's media URLs are revoked once these are on screen). */
  setRows(rows: R[], page: { buffers?: DataView[]; offset?: number; emptyText?: string } = {}): void {
    const old = this.urls.take();
    closeLightbox(this.el);
    const ctx: PageContext = {
      buffers: page.buffers ?? [],
      urls: this.urls,
      openImage: (url, cell, caption) => openLightbox(this.el, url, cell, caption),
    };
    const offset = page.offset ?? 0;
    replace(this.tbody, ...rows.map((row, i) => this.renderRow(row, i, offset, ctx)));
    this.empty.hidden = rows.length > 0;
    replace(this.empty, page.emptyText ?? this.opts.emptyText ?? "No rows.");
    this.scroller.scrollTop = 0;
    this.updateOverflow();
    old.revokeAll();
  }

  /** No header, no rows, `text` in their place. */
  clear(text = "No rows to show."): void {
    closeLightbox(this.el);
    this.urls.revokeAll();
    this.columns = [];
    this.headerKey = null;
    replace(this.thead);
    replace(this.tbody);
    replace(this.empty, text);
    this.empty.hidden = false;
    this.updateOverflow();
  }

  /** Mark the header of the sorted column (▲ ascending, ▼ descending). */
  setSort(order: SortOrder | null): void {
    this.sort = order;
    for (const th of Array.from(this.thead.querySelectorAll<HTMLElement>("th[data-column]"))) {
      const active = order !== null && order.column === th.dataset.column;
      th.setAttribute("aria-sort", active ? (order.asc ? "ascending" : "descending") : "none");
      const mark = th.querySelector(".pxw-sort-mark");
      if (mark) mark.textContent = active ? (order.asc ? " ▲" : " ▼") : "";
    }
  }

  get currentDensity(): Density {
    return this.density;
  }

  setDensity(density: Density): void {
    this.density = density;
    this.el.dataset.density = density;
    for (const d of DENSITIES) this.el.classList.toggle(`pxw-density-${d}`, d === density);
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    closeLightbox(this.el);
    this.urls.revokeAll();
  }

  // ---- rendering ---------------------------------------------------------------------------------------------

  private renderRow(row: R, i: number, offset: number, ctx: PageContext): HTMLElement {
    const o = this.opts;
    const number = o.rowNumber === false ? null : h("td", { class: "pxw-rownum" }, o.rowNumber ? o.rowNumber(row, i, offset) : String(offset + i + 1));
    const tr = h("tr", o.rowAttrs?.(row, i) ?? null, number);
    const extra = o.rowClass?.(row, i);
    if (extra) tr.classList.add(...extra.split(/\s+/).filter(Boolean));
    const changed = new Set(o.changed?.(row, i) ?? []);
    for (const col of this.columns) {
      const td = h("td", { "data-column": col.key, ...(col.cellAttrs?.(row, i) ?? {}) });
      td.classList.add("pxw-td");
      if (col.numeric) td.classList.add("pxw-num");
      if (col.muted) td.classList.add("pxw-muted");
      if (changed.has(col.key)) {
        td.classList.add("pxw-changed");
        td.dataset.changed = "true";
      }
      append(td, col.render(row, ctx, i));
      tr.appendChild(td);
    }
    if (o.onRowClick) {
      const click = o.onRowClick;
      tr.classList.add("pxw-clickable");
      tr.tabIndex = 0;
      tr.addEventListener("click", (ev) => {
        if ((ev.target as HTMLElement).closest(CLICK_IGNORED)) return;
        click(row, i);
      });
      tr.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && ev.target === tr) click(row, i);
      });
    }
    return tr;
  }

  private renderHeader(): void {
    const ths = this.columns.map((col) => {
      const label = col.label ?? col.key;
      const name = col.sortable
        ? h("button", { type: "button", class: "pxw-th-name pxw-sortable", title: col.title ?? `Sort by ${label}` }, label, h("span", { class: "pxw-sort-mark", "aria-hidden": "true" }))
        : h("span", { class: "pxw-th-name", title: col.title }, label);
      if (col.sortable) name.addEventListener("click", () => this.opts.onSort?.(col.key));
      const badge = this.opts.headerBadge?.(col) ?? null;
      const meta = col.meta || badge ? h("div", { class: "pxw-th-meta" }, col.meta ?? null, badge) : null;
      const problem = col.problem ? h("div", { class: "pxw-th-problem", title: col.problem, testid: "pxw-column-problem" }, `⚠ ${col.problem}`) : null;
      const th = h("th", { testid: `${this.prefix}-header-${col.key}`, "data-column": col.key, scope: "col" }, h("div", { class: "pxw-th" }, name, meta, problem));
      if (col.problem) th.classList.add("pxw-has-problem");
      if (col.numeric) th.classList.add("pxw-num");
      if (col.muted) th.classList.add("pxw-muted");
      if (col.headerClass) th.classList.add(...col.headerClass.split(/\s+/).filter(Boolean));
      if (col.accent) th.style.setProperty("--pxw-th-accent", col.accent);
      if (col.accent) th.classList.add("pxw-th-accent");
      return th;
    });
    const number = this.opts.rowNumber === false ? null : h("th", { class: "pxw-rownum", scope: "col" }, "#");
    replace(this.thead, h("tr", null, number, ...ths));
    this.setSort(this.sort);
  }

  /** A fade on the right edge while more columns are hidden to the right. */
  private updateOverflow(): void {
    const s = this.scroller;
    this.body.classList.toggle("pxw-more-right", s.scrollLeft + s.clientWidth < s.scrollWidth - 1);
  }
}

// ---- paging ------------------------------------------------------------------------------------------------------

/** What every paged query has. */
export interface PageWindow {
  offset: number;
  limit: number;
}

/** What every page has. `total` null: still being counted (the grid then asks `fetchCount`). */
export interface PageOf<R> {
  rows: R[];
  offset: number;
  limit: number;
  total: number | null;
  elapsed_ms?: number;
}

export interface PagedGridOptions<Q extends PageWindow, R, P extends PageOf<R>> extends Omit<GridViewOptions<R>, "onSort" | "emptyText"> {
  /** The first query (its offset and limit included). */
  query: Q;
  fetchPage: (query: Q) => Promise<Reply<P>>;
  /** The number of rows a query matches (asked when a page came back before its count). */
  fetchCount?: (query: Q) => Promise<number>;
  /** The columns of a page. */
  columns: (page: P) => GridColumn<R>[];
  /** Pages with the same key keep the header on screen (default: the header is drawn with every page). */
  columnKey?: (page: P) => string;
  /** How the query sorts: which column a query sorts by, and the changes that sort by a column (or by none). */
  sort?: { of: (query: Q) => SortOrder | null; by: (order: SortOrder | null) => Partial<Q> };
  emptyText?: string | ((query: Q) => string);
  /** Show the pager (default true); without it the grid shows the pages it is given (`show`). */
  pager?: boolean;
  /** A request failed (the previous page and query stay). */
  onError?: (err: unknown) => void;
  /** A page is on screen; `query` is the request that produced it. */
  onPage?: (page: P, query: Q) => void;
  /** The committed query, after every success or failure (filter bars and toggles render from it). */
  onQuery?: (query: Q) => void;
  onPageSize?: (size: number) => void;
  onDensity?: (density: Density) => void;
}

const LOADING_DELAY_MS = 120;

/** A GridView over a server-side query, a page at a time. */
export class PagedGrid<Q extends PageWindow, R, P extends PageOf<R>> {
  readonly el: HTMLElement;
  readonly view: GridView<R>;
  private readonly pager: Pager | null;
  private readonly densitySelect: HTMLSelectElement;
  private committed: Q;
  private requested: Q;
  private seq = 0;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly popts: PagedGridOptions<Q, R, P>) {
    this.committed = popts.query;
    this.requested = popts.query;
    this.view = new GridView<R>({ ...popts, emptyText: undefined, onSort: (column) => void this.cycleSort(column) });
    this.el = this.view.el;
    const prefix = popts.idPrefix ?? "pxw";
    this.densitySelect = select(DENSITIES.map((d) => [d, d]), { testid: `${prefix}-density`, "aria-label": "Row density", title: "Row density" });
    this.densitySelect.value = this.view.currentDensity;
    this.densitySelect.addEventListener("change", () => this.setDensity(this.densitySelect.value as Density));
    if (popts.pager === false) {
      this.pager = null;
    } else {
      this.pager = new Pager(prefix, {
        onOffset: (offset) => void this.load({ offset } as Partial<Q>),
        onPageSize: (limit) => void this.setPageSize(limit),
      });
      this.pager.tools.append(this.densitySelect);
      this.el.append(this.pager.el);
      this.pager.update(0, this.committed.limit, 0);
    }
  }

  /** The query of the page on screen. */
  get query(): Q {
    return this.committed;
  }

  /**
   * Load a page with `changes` applied to the latest requested query. Resolves true when that page is on screen,
   * false when the request failed (error reported, previous page kept) or a newer request replaced it.
   * With `reset` (another table), a failure empties the grid instead: no rows of the previous table stay.
   */
  async load(changes: Partial<Q> = {}, { reset = false }: { reset?: boolean } = {}): Promise<boolean> {
    if (this.disposed) return false;
    const req: Q = { ...this.requested, ...changes };
    req.offset = Math.max(0, Math.floor(req.offset));
    this.requested = req;
    const seq = ++this.seq;
    this.setLoading(true);
    try {
      const reply = await this.popts.fetchPage(req);
      if (seq !== this.seq || this.disposed) return false;
      const page = reply.payload;
      if (page.rows.length === 0 && page.total !== null && page.total > 0 && req.offset > 0) {
        // The table shrank under us: show its last page instead of an empty one.
        return await this.load({ offset: lastOffset(page.total, req.limit) } as Partial<Q>);
      }
      this.committed = req;
      this.render(reply);
      this.popts.onPage?.(page, req);
      this.popts.onQuery?.(req);
      if (page.total === null) void this.countFor(req, seq);
      return true;
    } catch (err) {
      if (seq !== this.seq || this.disposed) return false;
      if (reset) {
        this.committed = req;
        this.clear();
      }
      this.requested = this.committed;
      this.popts.onError?.(err);
      this.popts.onQuery?.(this.committed);
      return false;
    } finally {
      if (seq === this.seq) this.setLoading(false);
    }
  }

  reload(): Promise<boolean> {
    return this.load({});
  }

  /** Show a page that arrived with another reply (e.g. the first page of a comparison); `query` is what it answers. */
  show(reply: Reply<P>, query: Partial<Q> = {}): void {
    this.seq++; // a page still loading would replace this one
    this.setLoading(false);
    this.committed = this.requested = { ...this.requested, ...query, offset: reply.payload.offset, limit: reply.payload.limit };
    this.render(reply);
    this.popts.onQuery?.(this.committed);
  }

  async setPageSize(limit: number): Promise<boolean> {
    const offset = Math.floor(this.requested.offset / limit) * limit;
    const ok = await this.load({ limit, offset } as Partial<Q>);
    if (ok) this.popts.onPageSize?.(limit);
    return ok;
  }

  /** Click on a sortable header: ascending → descending → unsorted. */
  cycleSort(column: string): Promise<boolean> {
    const sort = this.popts.sort;
    if (!sort) return Promise.resolve(false);
    const cur = sort.of(this.requested);
    const next = cur?.column !== column ? { column, asc: true } : cur.asc ? { column, asc: false } : null;
    return this.load({ ...sort.by(next), offset: 0 });
  }

  setDensity(density: Density): void {
    this.view.setDensity(density);
    this.densitySelect.value = density;
    this.popts.onDensity?.(density);
  }

  /** Empty the grid (e.g. the table changed and its first page failed): no stale rows of another table. */
  clear(): void {
    this.view.clear();
    this.pager?.update(0, this.committed.limit, 0);
  }

  dispose(): void {
    this.disposed = true;
    this.seq++;
    clearTimeout(this.loadingTimer);
    this.view.dispose();
  }

  private setLoading(on: boolean): void {
    clearTimeout(this.loadingTimer);
    this.el.setAttribute("aria-busy", String(on));
    if (on) {
      // Only show the loading state for slow pages: fast ones swap in without any flicker.
      this.loadingTimer = setTimeout(() => this.el.classList.add("pxw-loading"), LOADING_DELAY_MS);
    } else {
      this.el.classList.remove("pxw-loading");
    }
  }

  private render({ payload, buffers }: Reply<P>): void {
    const o = this.popts;
    this.view.setColumns(o.columns(payload), o.columnKey?.(payload));
    this.view.setSort(o.sort?.of(this.committed) ?? null);
    const empty = typeof o.emptyText === "function" ? o.emptyText(this.committed) : o.emptyText;
    this.view.setRows(payload.rows, { buffers, offset: payload.offset, emptyText: empty });
    this.pager?.update(payload.offset, payload.limit, payload.total, payload.elapsed_ms, payload.rows.length);
  }

  /** The page came back before its count: ask for the count, and show it if the page is still the one on screen. */
  private async countFor(req: Q, seq: number): Promise<void> {
    if (!this.popts.fetchCount) return;
    try {
      const total = await this.popts.fetchCount(req);
      if (seq === this.seq && !this.disposed) this.pager?.setTotal(total);
    } catch (err) {
      if (seq === this.seq && !this.disposed) this.popts.onError?.(err);
    }
  }
}

// ---- a table's pages -----------------------------------------------------------------------------------------------

export type FetchPage = (req: PageRequest) => Promise<Reply<PageReply>>;
/** The number of rows a query matches (asked when a page came back before its count). */
export type FetchCount = (req: PageRequest) => Promise<number>;

/** How a panel extends a table grid: its own cells, row classes and header badges, on top of the default rendering. */
export interface GridExtensions {
  /** Render a cell yourself; return null to keep the default rendering (media, JSON, text, errors …). */
  renderCell?: (cell: Cell | undefined, column: ColumnInfo, row: Cell[], rowIndex: number) => HTMLElement | null;
  /** Extra classes of a row's <tr> (e.g. "pxw-disagreement"). */
  rowClass?: (row: Cell[], columns: ColumnInfo[], rowIndex: number) => string | null | undefined;
  /** Something shown after a column's type in its header (e.g. a "best model" badge). */
  headerBadge?: (column: ColumnInfo) => Child;
  /** A row was clicked (not a media thumbnail or a link inside it). */
  onRowClick?: (row: Cell[], columns: ColumnInfo[], rowIndex: number) => void;
}

export interface GridOptions extends GridExtensions {
  fetchPage: FetchPage;
  fetchCount?: FetchCount;
  pageSize?: number;
  errorsOnly?: boolean;
  /** Prefix of every data-testid inside this grid (default "pxw"): two grids in one panel stay distinct. */
  idPrefix?: string;
  emptyText?: string;
  density?: Density;
  maxHeight?: number;
  /** A request failed (the previous page and query stay). */
  onError?: (err: unknown) => void;
  /** A page is on screen; `query` is the request that produced it. */
  onPage?: (reply: PageReply, query: PageRequest) => void;
  /** The committed query, after every success or failure (filter bars and toggles render from it). */
  onQuery?: (query: PageRequest) => void;
  onPageSize?: (size: number) => void;
  onDensity?: (density: Density) => void;
}

/** The header meta of a table column: its type, ƒ when computed, "unstored". */
function columnMeta(col: ColumnInfo): Child {
  const meta = document.createDocumentFragment();
  meta.append(h("span", { class: "pxw-th-type", title: col.type_text || col.type }, col.type_text || col.type));
  if (col.is_computed) {
    const title = `computed with: ${col.computed_with ?? "?"}${col.is_stored ? "" : " (not stored)"}`;
    meta.append(h("span", { class: "pxw-computed", title, testid: "pxw-computed-marker" }, "ƒ"));
  }
  if (!col.is_stored) meta.append(h("span", { class: "pxw-dim", title: "not stored: computed when read" }, "unstored"));
  return meta;
}

/** The columns of a table's page: typed headers, cells rendered by kind (or by the panel's `renderCell`). */
export function tableColumns(columns: ColumnInfo[], ext: GridExtensions = {}): GridColumn<Cell[]>[] {
  return columns.map((col, j) => ({
    key: col.name,
    meta: columnMeta(col),
    problem: col.problem,
    sortable: col.sortable,
    render: (row, ctx, i) => ext.renderCell?.(row[j], col, row, i) ?? renderCell(row[j], { ...ctx, column: col }),
    cellAttrs: (row) => {
      const kind = row[j]?.kind ?? "null";
      return { testid: "pxw-cell", "data-kind": kind, class: `pxw-kind-${kind}` };
    },
  }));
}

/** The fields of a page request that decide which rows it matches and in what order (not where the window is). */
function selection(req: PageRequest): string {
  return JSON.stringify([req.order_by, req.filters, req.errors_only, req.columns ?? null]);
}

/**
 * The request with a cursor when it asks for the page right after (or right before) the page on screen: the kernel
 * then fetches it by key, as cheaply at offset 990,000 as at 0, and without repeating or skipping a row when the
 * table changed in between. Any other request (a jump, another sort or filter) goes by offset.
 */
export function withCursor(req: PageRequest, shown: { page: PageReply; query: PageRequest } | null): PageRequest {
  const { after: _after, before: _before, ...plain } = req;
  if (!shown?.page.cursor || selection(plain) !== selection(shown.query) || plain.limit !== shown.page.limit) return plain;
  const { page } = shown;
  const cursor = shown.page.cursor;
  if (plain.offset === page.offset + page.limit && page.rows.length === page.limit) return { ...plain, after: cursor.last };
  if (plain.offset === page.offset - plain.limit && plain.offset >= 0) return { ...plain, before: cursor.first };
  return plain;
}

/** Server-side pages of a table, with typed headers, sorting, media cells and a pager. */
export class Grid extends PagedGrid<PageRequest, Cell[], PageReply> {
  constructor(opts: GridOptions) {
    let columns: ColumnInfo[] = [];
    let shown: { page: PageReply; query: PageRequest } | null = null;
    const byColumn = (name: string) => columns.find((c) => c.name === name);
    super({
      query: { offset: 0, limit: opts.pageSize ?? 25, order_by: null, filters: [], errors_only: opts.errorsOnly ?? false },
      fetchPage: (req) => opts.fetchPage(withCursor(req, shown)),
      fetchCount: opts.fetchCount,
      idPrefix: opts.idPrefix,
      density: opts.density,
      maxHeight: opts.maxHeight,
      columns: (page) => {
        columns = page.columns;
        return tableColumns(page.columns, opts);
      },
      columnKey: (page) => JSON.stringify(page.columns),
      sort: { of: (q) => q.order_by, by: (order_by) => ({ order_by }) },
      emptyText: (q) => opts.emptyText ?? (q.filters.length || q.errors_only ? "No rows match." : "No rows."),
      rowClass: opts.rowClass && ((row, i) => opts.rowClass?.(row, columns, i)),
      headerBadge: opts.headerBadge && ((col) => {
        const info = byColumn(col.key);
        return info ? opts.headerBadge?.(info) : null;
      }),
      onRowClick: opts.onRowClick && ((row, i) => opts.onRowClick?.(row, columns, i)),
      onError: opts.onError,
      onPage: (page, query) => {
        shown = { page, query };
        opts.onPage?.(page, query);
      },
      onQuery: (query) => {
        if (query !== shown?.query) shown = null; // a page shown from elsewhere: its cursor is not known here
        opts.onQuery?.(query);
      },
      onPageSize: opts.onPageSize,
      onDensity: opts.onDensity,
    });
  }
}
