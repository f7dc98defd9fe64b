// Tabs: a tab list and one panel per tab; a tab's onShow runs each time it becomes visible.

import "./tabs.css";
import { h, replace } from "./dom";

export interface TabSpec {
  name: string;
  label: string;
  content: HTMLElement;
  onShow?: () => void;
}

export class Tabs {
  readonly el: HTMLElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly panels = new Map<string, HTMLElement>();
  private current = "";

  constructor(private readonly specs: TabSpec[]) {
    const list = h("div", { class: "pxw-tablist", role: "tablist" });
    const body = h("div", { class: "pxw-tabpanels" });
    for (const spec of specs) {
      const b = h("button", { type: "button", class: "pxw-tab", role: "tab", testid: `pxw-tab-${spec.name}`, "aria-selected": "false" }, spec.label);
      b.addEventListener("click", () => this.show(spec.name));
      b.addEventListener("keydown", (ev) => this.onKey(ev, spec.name));
      const panel = h("div", { class: "pxw-tabpanel", role: "tabpanel", testid: `pxw-panel-${spec.name}`, hidden: true }, spec.content);
      this.buttons.set(spec.name, b);
      this.panels.set(spec.name, panel);
      list.appendChild(b);
      body.appendChild(panel);
    }
    this.el = h("div", { class: "pxw-tabs" }, h("div", { class: "pxw-tabstrip" }, list), body);
  }

  get active(): string {
    return this.current;
  }

  show(name: string): void {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) return;
    this.current = name;
    for (const [n, b] of this.buttons) {
      const on = n === name;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      this.panels.get(n)!.hidden = !on;
    }
    spec.onShow?.();
  }

  /** Change a tab's label (e.g. a count badge). */
  setLabel(name: string, label: string, badge?: string): void {
    const b = this.buttons.get(name);
    if (!b) return;
    replace(b, label, badge ? h("span", { class: "pxw-tab-badge" }, badge) : null);
  }

  private onKey(ev: KeyboardEvent, name: string): void {
    if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
    const i = this.specs.findIndex((s) => s.name === name);
    const next = this.specs[(i + (ev.key === "ArrowRight" ? 1 : -1) + this.specs.length) % this.specs.length];
    this.show(next.name);
    this.buttons.get(next.name)?.focus();
  }
}
