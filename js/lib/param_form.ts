// A form generated from a parameter schema (pxwidgets/patterns/common/params.py → `ParamSpec`): numbers with their
// ranges, checkboxes, choices and text, each with a message beside it. The browser checks what it can (required,
// ranges, whole numbers); the kernel's validation is the authority, and its per-field refusals (`details.params` of
// the error) are shown beside the fields they name — the message text is never parsed.

import "./param_form.css";
import type { Json, ParamSpec } from "./contract";
import { h, replace } from "./dom";
import { RpcError } from "./rpc";

const NULL_CHOICE = "\u0000null";

interface Field {
  spec: ParamSpec;
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
  touched: boolean;
  server: string;
}

type Read = { value: Json; error?: undefined } | { value?: undefined; error: string };

/** Per-field messages of a refused request, by parameter name (from the error's `details.params`). */
export function fieldErrors(err: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (err instanceof RpcError) for (const e of err.details?.params ?? []) out.set(e.param, e.message);
  return out;
}

/** "≥ 1.01, ≤ 2" / "> 0, ≤ 120" for a number parameter with bounds, "" otherwise. */
export function rangeText(spec: ParamSpec): string {
  if (spec.type !== "int" && spec.type !== "float") return "";
  const parts: string[] = [];
  if (spec.exclusive_minimum !== null && spec.exclusive_minimum !== undefined) parts.push(`> ${spec.exclusive_minimum}`);
  if (spec.minimum !== null && spec.minimum !== undefined) parts.push(`≥ ${spec.minimum}`);
  if (spec.maximum !== null && spec.maximum !== undefined) parts.push(`≤ ${spec.maximum}`);
  return parts.join(", ");
}

/** Check one value against its spec as the kernel would: the value, or the message to show. */
export function checkValue(spec: ParamSpec, raw: string | boolean, opts: { badInput?: boolean } = {}): Read {
  if (spec.type === "bool") return { value: raw === true };
  const text = String(raw);
  if (spec.type === "choice" || (spec.choices && spec.choices.length)) {
    if (text === NULL_CHOICE) return spec.nullable ? { value: null } : { error: "Pick one of the choices." };
    return spec.choices && !spec.choices.includes(text) ? { error: "Pick one of the choices." } : { value: text };
  }
  if (spec.type === "int" || spec.type === "float") {
    const trimmed = text.trim();
    if (opts.badInput) return { error: "Enter a number." };
    if (trimmed === "") return spec.nullable ? { value: null } : { error: "Required." };
    const n = Number(trimmed);
    if (!Number.isFinite(n)) return { error: "Enter a number." };
    if (spec.type === "int" && !Number.isInteger(n)) return { error: "Enter a whole number." };
    if (spec.minimum !== null && spec.minimum !== undefined && n < spec.minimum) return { error: `Must be ≥ ${spec.minimum}.` };
    if (spec.exclusive_minimum !== null && spec.exclusive_minimum !== undefined && n <= spec.exclusive_minimum) return { error: `Must be > ${spec.exclusive_minimum}.` };
    if (spec.maximum !== null && spec.maximum !== undefined && n > spec.maximum) return { error: `Must be ≤ ${spec.maximum}.` };
    return { value: n };
  }
  if (text === "" && spec.nullable) return { value: null };
  return { value: text };
}

let uidCounter = 0;
export function uid(base: string): string {
  return `pxw-pf-${base.replace(/[^A-Za-z0-9_-]/g, "_")}-${++uidCounter}`;
}

/** The fields of one parameter schema. `el` holds them; `values()` checks and marks every field. */
export class ParamFields {
  readonly el: HTMLElement;
  private readonly fields: Field[];

  /** `onEdit` runs on every change (e.g. to mark a preview as stale). */
  constructor(specs: ParamSpec[], private readonly onEdit: () => void = () => {}, emptyText = "No parameters.") {
    this.fields = specs.map((spec) => this.makeField(spec));
    this.el = h(
      "div",
      { class: "pxw-sf-params", testid: "pxw-param-form" },
      ...this.fields.map((f) => f.input.closest(".pxw-sf-field") as HTMLElement),
      this.fields.length ? null : h("div", { class: "pxw-dim pxw-sf-noparams" }, emptyText),
    );
  }

  get size(): number {
    return this.fields.length;
  }

  /** Every field checked and marked: the values when all are acceptable, else the first bad input (focus it). */
  values(): { params: Record<string, Json>; firstBad: HTMLElement | null } {
    const params: Record<string, Json> = {};
    let firstBad: HTMLElement | null = null;
    for (const f of this.fields) {
      f.touched = true;
      this.showFieldError(f);
      const r = this.read(f);
      if (r.error !== undefined) firstBad ??= f.input;
      else params[f.spec.name] = r.value;
    }
    return { params, firstBad };
  }

  /** Show the kernel's per-field messages of `err` (returns how many fields it named). */
  showServerErrors(err: unknown): number {
    const perParam = fieldErrors(err);
    for (const f of this.fields) {
      f.server = perParam.get(f.spec.name) ?? "";
      this.showFieldError(f);
    }
    return [...perParam.keys()].filter((k) => this.fields.some((f) => f.spec.name === k)).length;
  }

  clearServerErrors(): void {
    for (const f of this.fields) {
      if (f.server) {
        f.server = "";
        this.showFieldError(f);
      }
    }
  }

  private makeField(spec: ParamSpec): Field {
    const id = uid(`param-${spec.name}`);
    const errorId = `${id}-err`;
    const common = { testid: `pxw-param-${spec.name}`, id, name: spec.name, "aria-describedby": errorId };
    let input: HTMLInputElement | HTMLSelectElement;
    const choices = spec.choices ?? [];
    if (spec.type === "bool") {
      input = h("input", { ...common, type: "checkbox", class: "pxw-sf-check" });
      input.checked = spec.default === true;
    } else if (spec.type === "choice" || choices.length) {
      input = h("select", { ...common, class: "pxw-select" });
      if (spec.nullable) input.appendChild(h("option", { value: NULL_CHOICE }, "(none)"));
      for (const c of choices) input.appendChild(h("option", { value: c }, c === "" ? "(empty)" : c));
      input.value = spec.default === null || spec.default === undefined ? (spec.nullable ? NULL_CHOICE : (choices[0] ?? "")) : String(spec.default);
    } else if (spec.type === "int" || spec.type === "float") {
      input = h("input", {
        ...common,
        type: "number",
        class: "pxw-input pxw-input-num",
        step: spec.type === "int" ? "1" : "any",
        min: spec.minimum ?? undefined,
        max: spec.maximum ?? undefined,
        inputmode: spec.type === "int" ? "numeric" : "decimal",
        placeholder: spec.nullable ? "(none)" : "",
      });
      input.value = typeof spec.default === "number" ? String(spec.default) : "";
    } else {
      input = h("input", { ...common, type: "text", class: "pxw-input", spellcheck: "false", placeholder: spec.nullable ? "(none)" : "" });
      input.value = spec.default === null || spec.default === undefined ? "" : typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
    }
    const error = h("div", { class: "pxw-sf-field-error", testid: `pxw-param-error-${spec.name}`, id: errorId, "aria-live": "polite" });
    const range = rangeText(spec);
    const label = h("label", { class: "pxw-sf-field-name", for: id }, spec.name, h("span", { class: "pxw-sf-type" }, spec.type + (spec.nullable ? "?" : "")));
    const help = h("div", { class: "pxw-sf-help" }, spec.description || "", range ? h("span", { class: "pxw-sf-range" }, range) : null);
    const field: Field = { spec, input, error, touched: false, server: "" };
    const wrap = spec.type === "bool"
      ? h("div", { class: "pxw-sf-field pxw-sf-field-bool" }, h("label", { class: "pxw-sf-check-label" }, input, h("span", { class: "pxw-sf-field-name" }, spec.name)), help, error)
      : h("div", { class: "pxw-sf-field" }, label, input, help, error);
    wrap.dataset.param = spec.name;
    const onEdit = () => {
      field.touched = true;
      field.server = "";
      this.showFieldError(field);
      this.onEdit();
    };
    input.addEventListener("input", onEdit);
    input.addEventListener("change", onEdit);
    input.addEventListener("blur", () => {
      field.touched = true;
      this.showFieldError(field);
    });
    return field;
  }

  private read(f: Field): Read {
    const { spec, input } = f;
    if (spec.type === "bool") return { value: (input as HTMLInputElement).checked };
    const badInput = input instanceof HTMLInputElement && input.validity.badInput;
    return checkValue(spec, input.value, { badInput });
  }

  private showFieldError(f: Field): void {
    const client = f.touched ? this.read(f).error : undefined;
    const message = client ?? f.server;
    replace(f.error, message ?? "");
    f.error.hidden = !message;
    f.input.setAttribute("aria-invalid", String(Boolean(message)));
    f.input.closest(".pxw-sf-field")?.classList.toggle("pxw-sf-invalid", Boolean(message));
  }
}

