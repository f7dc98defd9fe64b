// The filter bar above a grid: column / operator / value, removable chips, an "errors only" toggle.
// Filters are validated by the server; the bar renders the committed query it is given back (setState).

import "./filters.css";
import type { ColumnInfo, Filter, FilterOp, Json } from "./contract";
import { button, h, replace, select } from "./dom";

const OP_LABELS: Record<FilterOp, string> = {
  "==": "=",
  "!=": "≠",
  "<": "<",
  "<=": "≤",
  ">": ">",
  ">=": "≥",
  contains: "contains",
  startswith: "starts with",
  is_null: "is null",
  not_null: "is not null",
};

const NULL_OPS: FilterOp[] = ["is_null", "not_null"];
const ORDERED: FilterOp[] = ["==", "!=", "<", "<=", ">", ">=", ...NULL_OPS];

/** The operators that make sense for a column type. */
export function opsFor(type: string): FilterOp[] {
  switch (type) {
    case "int":
    case "float":
    case "timestamp":
    case "date":
      return ORDERED;
    case "string":
      return ["==", "!=", "contains", "startswith", ...NULL_OPS];
    case "bool":
      return ["==", "!=", ...NULL_OPS];
    default:
      return NULL_OPS;
  }
}

export interface FilterBarOptions {
  /** Apply a new filter list; resolves true when the server accepted it. */
  onFilters: (filters: Filter[]) => Promise<boolean>;
  /** Toggle "errors only"; omit to hide the toggle. */
  onErrorsOnly?: (on: boolean) => Promise<boolean>;
  /** A value the bar itself refuses (e.g. an empty number). */
  onInvalid?: (message: string) => void;
}

export class FilterBar {
  readonly el: HTMLElement;
  private readonly column = select([], { testid: "pxw-filter-column", "aria-label": "Filter column" });
  private readonly op = select([], { testid: "pxw-filter-op", "aria-label": "Filter operator" });
  private readonly valueSlot = h("span", { class: "pxw-filter-value-slot" });
  private value: HTMLInputElement | HTMLSelectElement = h("input", { class: "pxw-input" });
  private readonly chips = h("div", { class: "pxw-chips", testid: "pxw-filter-chips" });
  private readonly errorsOnly: HTMLInputElement | null = null;
  private readonly addBtn: HTMLButtonElement;
  private columns: ColumnInfo[] = [];
  private filters: Filter[] = [];

  constructor(private readonly opts: FilterBarOptions) {
    this.addBtn = button("Add filter", () => void this.add(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-filter-add" });
    this.column.addEventListener("change", () => this.syncOps());
    this.op.addEventListener("change", () => this.syncValue());
    let toggle: HTMLElement | null = null;
    if (opts.onErrorsOnly) {
      const box = h("input", { type: "checkbox", testid: "pxw-errors-only" });
      box.addEventListener("change", () => {
        box.disabled = true;
        void opts.onErrorsOnly!(box.checked).finally(() => (box.disabled = false));
      });
      this.errorsOnly = box;
      toggle = h("label", { class: "pxw-toggle", title: "Only rows where some computed column failed" }, box, "Errors only");
    }
    this.el = h(
      "div",
      { class: "pxw-filterbar", testid: "pxw-filterbar" },
      h("div", { class: "pxw-filter-form", role: "group", "aria-label": "Add a filter" }, h("span", { class: "pxw-filter-label" }, "Filter"), this.column, this.op, this.valueSlot, this.addBtn, h("span", { class: "pxw-spacer" }), toggle),
      this.chips,
    );
    this.chips.hidden = true;
  }

  setColumns(columns: ColumnInfo[]): void {
    const prev = this.column.value;
    this.columns = columns;
    replace(this.column, ...columns.map((c) => h("option", { value: c.name }, c.name)));
    if (columns.some((c) => c.name === prev)) this.column.value = prev;
    this.column.disabled = this.op.disabled = this.addBtn.disabled = columns.length === 0;
    this.syncOps();
  }

  /** Render the query the grid committed (chips and toggle follow the server, not the clicks). */
  setState(filters: Filter[], errorsOnly: boolean): void {
    this.filters = filters;
    if (this.errorsOnly) this.errorsOnly.checked = errorsOnly;
    replace(
      this.chips,
      ...filters.map((f, i) =>
        h(
          "span",
          { class: "pxw-chip", testid: "pxw-filter-chip" },
          h("span", { class: "pxw-chip-col" }, f.column),
          ` ${OP_LABELS[f.op] ?? f.op} `,
          NULL_OPS.includes(f.op) ? null : h("span", { class: "pxw-chip-val" }, chipValue(f.value)),
          button("×", () => void this.opts.onFilters(this.filters.filter((_, j) => j !== i)), {
            class: "pxw-chip-remove",
            "aria-label": `Remove filter on ${f.column}`,
            title: "Remove this filter",
            testid: "pxw-filter-remove",
          }),
        ),
      ),
      filters.length > 1 ? button("Clear all", () => void this.opts.onFilters([]), { class: "pxw-link", testid: "pxw-filter-clear" }) : null,
    );
    this.chips.hidden = filters.length === 0;
  }

  private get selected(): ColumnInfo | undefined {
    return this.columns.find((c) => c.name === this.column.value);
  }

  private syncOps(): void {
    const ops = opsFor(this.selected?.type ?? "");
    const prev = this.op.value as FilterOp;
    replace(this.op, ...ops.map((op) => h("option", { value: op }, OP_LABELS[op])));
    this.op.value = ops.includes(prev) ? prev : ops[0];
    this.syncValue(); // a new input only when the type changes: a value being typed survives a columns refresh
  }

  /** The value input follows the column type; none for is_null / not_null. */
  private syncValue(typeChanged = false): void {
    const type = this.selected?.type ?? "string";
    const needsValue = !NULL_OPS.includes(this.op.value as FilterOp);
    if (typeChanged || this.value.dataset.type !== type) {
      this.value = valueInput(type);
      this.value.addEventListener("keydown", (ev) => {
        if ((ev as KeyboardEvent).key === "Enter") void this.add();
      });
      replace(this.valueSlot, this.value);
    }
    this.valueSlot.hidden = !needsValue;
  }

  private async add(): Promise<void> {
    const col = this.selected;
    if (!col) return;
    const op = this.op.value as FilterOp;
    const filter: Filter = { column: col.name, op };
    if (!NULL_OPS.includes(op)) {
      const value = readValue(this.value, col.type);
      if (value === undefined) {
        this.opts.onInvalid?.(`Enter a ${col.type === "int" || col.type === "float" ? "number" : "value"} for ${col.name}.`);
        this.value.focus();
        return;
      }
      filter.value = value;
    }
    this.addBtn.disabled = true;
    try {
      const ok = await this.opts.onFilters([...this.filters, filter]);
      if (ok && this.value instanceof HTMLInputElement) this.value.value = "";
    } finally {
      this.addBtn.disabled = false;
    }
  }
}

function valueInput(type: string): HTMLInputElement | HTMLSelectElement {
  const common = { testid: "pxw-filter-value", "aria-label": "Filter value", "data-type": type };
  switch (type) {
    case "int":
      return h("input", { ...common, class: "pxw-input pxw-input-num", type: "number", step: "1", placeholder: "number" });
    case "float":
      return h("input", { ...common, class: "pxw-input pxw-input-num", type: "number", step: "any", placeholder: "number" });
    case "bool":
      return select([["true", "true"], ["false", "false"]], common);
    case "timestamp":
      return h("input", { ...common, class: "pxw-input", type: "datetime-local", step: "1" });
    case "date":
      return h("input", { ...common, class: "pxw-input", type: "date" });
    default:
      return h("input", { ...common, class: "pxw-input", type: "text", placeholder: "value" });
  }
}

/** The typed value of the input, or undefined when it is not acceptable. */
function readValue(input: HTMLInputElement | HTMLSelectElement, type: string): Json | undefined {
  const raw = input.value;
  if (type === "bool") return raw === "true";
  if (type === "int" || type === "float") {
    if (raw.trim() === "") return undefined;
    const n = Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }
  if ((type === "timestamp" || type === "date") && raw === "") return undefined;
  return raw;
}

function chipValue(value: Json | undefined): string {
  if (typeof value === "string") return JSON.stringify(value);
  return value === undefined ? "" : JSON.stringify(value);
}
