// Tiny DOM helpers. Everything that carries data goes through textContent or attributes, never innerHTML:
// table values are untrusted.

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  class?: string;
  testid?: string;
  title?: string;
  [attr: string]: string | number | boolean | undefined | null;
}

/** Create an element; `attrs.testid` becomes `data-testid`, `false`/`null`/`undefined` attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, ...children);
  return el;
}

/** Create an SVG element (attributes only; text via textContent). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    const name = key === "testid" ? "data-testid" : key;
    el.setAttribute(name, value === true ? "" : String(value));
  }
}

/** Append children; strings and numbers become text nodes. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replace all children of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/** A `<button type="button">` with a click handler. */
export function button(label: Child, onClick: (ev: MouseEvent) => void, attrs: Attrs = {}): HTMLButtonElement {
  const b = h("button", { type: "button", class: "pxw-btn", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

/** A `<select>` with `[value, label]` options. */
export function select(options: [string, string][], attrs: Attrs = {}): HTMLSelectElement {
  const s = h("select", { class: "pxw-select", ...attrs });
  for (const [value, label] of options) s.appendChild(h("option", { value }, label));
  return s;
}

/** Format an integer count with thousands separators (for display only). */
export function fmtCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US") : String(n);
}
