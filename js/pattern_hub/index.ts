// PatternHub: every pattern of the catalog grouped by directory, one line each (what it holds, its last change, its
// problems as badges); the lineage across patterns; "new pattern on this table" (a form from the kind's parameters,
// a preview that writes nothing, create); and any pattern's own panel opened inside the hub, several at once, each
// keeping its state (children.ts multiplexes them over this panel's comm). Refreshes by itself when the catalog
// changes: a cheap fingerprint is polled while the panel is visible.
// Talks to pxwidgets/panels/pattern_hub.py; traits hold only dir / poll_seconds.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "./pattern_hub.css";
import { CodeBox } from "../lib/code";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { ParamFields } from "../lib/param_form";
import { PanelShell } from "../lib/shell";
import { MountedChild, routeToChild } from "./children";
import {
  type ChildReply,
  type CloseReply,
  type CreateReply,
  type FingerprintReply,
  type FormReply,
  type HubCatalogReply,
  type HubNode,
  type HubOpenRequest,
  type HubPattern,
  type PreviewReply,
  type TablesReply,
} from "./contract";
import { renderHubGraph } from "./graph";
import { KIND_LABELS } from "./labels";

interface Traits {
  dir: string;
  poll_seconds: number;
  last_error: string;
}

const OPEN_TIMEOUT_MS = 180_000;

/** "just now", "5 min ago", "3 h ago", "2 d ago" (for display only). */
export function ago(seconds: number | null, now = Date.now() / 1000): string {
  if (!seconds) return "never";
  const d = Math.max(0, now - seconds);
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

function kindBadge(kind: string): HTMLElement {
  return h("span", { class: `pxw-badge pxw-hub-kind pxw-hub-kind-${kind}`, testid: "pxw-hub-kind" }, KIND_LABELS[kind] ?? kind);
}

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  const hub = model as AnyModel;
  const listEl = h("div", { class: "pxw-hub-list", testid: "pxw-hub-list" });
  const graphEl = h("div", { class: "pxw-hub-lineage" });
  const newEl = h("div", { class: "pxw-hub-new", testid: "pxw-hub-new" });
  let catalog: HubCatalogReply | null = null;
  let fingerprint = "";
  let tablesLoaded = false;

  const shell = new PanelShell(hub, {
    title: "Patterns",
    testid: "pxw-pattern-hub",
    tabs: [
      { name: "patterns", label: "Patterns", content: listEl },
      { name: "lineage", label: "Lineage", content: graphEl, onShow: () => drawGraph() },
      { name: "new", label: "New pattern", content: newEl, onShow: () => void loadTables() },
    ],
  });
  const refreshBtn = button("↻", () => void loadCatalog(), { class: "pxw-btn pxw-btn-icon", testid: "pxw-hub-refresh", title: "Read the catalog again" });
  shell.toolbar.append(refreshBtn);
  const workspace = h("div", { class: "pxw-hub-workspace", testid: "pxw-hub-workspace" });
  shell.el.append(workspace);
  el.replaceChildren(shell.el);

  // ---- child panels ------------------------------------------------------------------------------------------------
  const children = new Map<string, MountedChild>();
  const cards = new Map<string, HTMLElement>(); // by pattern key ("kind:path:name"), to find an open one
  const onMessage = (msg: unknown, buffers: DataView[]) => void routeToChild(msg, buffers ?? [], children);
  hub.on("msg:custom", onMessage);

  async function openChild(req: HubOpenRequest, key: string): Promise<void> {
    const existing = cards.get(key);
    if (existing) {
      existing.hidden = false;
      existing.querySelector<HTMLElement>(".pxw-hub-child-body")!.hidden = false;
      existing.scrollIntoView({ block: "nearest" });
      return;
    }
    const reply = await shell.call<ChildReply>("open", req, { timeoutMs: OPEN_TIMEOUT_MS });
    if (reply) await mount(reply.payload, reply.buffers, key);
  }

  async function mount(reply: ChildReply, buffers: DataView[], key: string): Promise<void> {
    const body = h("div", { class: "pxw-hub-child-body" });
    const collapse = button("▾", () => {
      body.hidden = !body.hidden;
      collapse.textContent = body.hidden ? "▸" : "▾";
      collapse.setAttribute("aria-expanded", String(!body.hidden));
    }, { class: "pxw-btn pxw-btn-icon", testid: "pxw-hub-child-collapse", title: "Fold / unfold (the panel keeps its state)", "aria-expanded": "true" });
    const close = button("×", () => void closeChild(reply.child, key), { class: "pxw-btn pxw-btn-icon", testid: "pxw-hub-child-close", title: "Close this panel" });
    const card = h(
      "section",
      { class: "pxw-hub-child", testid: "pxw-hub-child", "data-child": reply.child, "data-panel": reply.panel, "data-key": key },
      h("div", { class: "pxw-hub-child-head" }, kindBadge(reply.kind), h("span", { class: "pxw-hub-child-title", testid: "pxw-hub-child-title" }, reply.title), h("span", { class: "pxw-spacer" }), collapse, close),
      body,
    );
    workspace.prepend(card);
    cards.set(key, card);
    try {
      children.set(reply.child, await MountedChild.mount(reply, hub, body, shell.el, buffers));
    } catch (err) {
      shell.showError(err);
      replace(body, h("div", { class: "pxw-empty" }, "This panel could not be shown."));
    }
  }

  async function closeChild(child: string, key: string): Promise<void> {
    children.get(child)?.dispose();
    children.delete(child);
    cards.get(key)?.remove();
    cards.delete(key);
    await shell.call<CloseReply>("close", { child });
  }

  // ---- the list ----------------------------------------------------------------------------------------------------
  function patternRow(p: HubPattern): HTMLElement {
    const rows = p.rows[p.path] ?? null;
    const change = p.changed_table ? `${p.changed_table.split("/").pop()} v${p.version} · ${ago(p.changed_at)}` : "";
    const problems = p.problems.map((text) => h("span", { class: "pxw-badge pxw-hub-problem", testid: "pxw-hub-problem", title: text }, `⚠ ${text}`));
    const open = button("Open", () => void openChild({ kind: p.kind, path: p.path, name: p.name }, p.key), {
      class: "pxw-btn pxw-btn-small",
      testid: "pxw-hub-open",
      title: `Open ${p.panel} on ${p.path} here`,
    });
    return h(
      "div",
      { class: "pxw-hub-row", testid: "pxw-hub-pattern", "data-key": p.key, "data-kind": p.kind, "data-path": p.path },
      kindBadge(p.kind),
      h("span", { class: "pxw-hub-name", testid: "pxw-hub-name" }, p.name),
      p.adopted ? h("span", { class: "pxw-badge pxw-hub-adopted", title: "Made with plain Pixeltable, adopted as it is" }, "hand-made") : null,
      h("span", { class: "pxw-hub-path", title: p.path }, p.path),
      h("span", { class: "pxw-hub-summary", testid: "pxw-hub-summary", title: p.summary }, p.summary),
      rows === null ? null : h("span", { class: "pxw-hub-rows pxw-dim" }, `${fmtCount(rows)} rows`),
      h("span", { class: "pxw-hub-change pxw-dim", testid: "pxw-hub-change", title: p.changed_at ? new Date(p.changed_at * 1000).toLocaleString() : "" }, change),
      h("span", { class: "pxw-hub-problems" }, ...problems),
      open,
    );
  }

  function drawList(): void {
    if (!catalog) return;
    if (!catalog.patterns.length) {
      replace(listEl, h("div", { class: "pxw-empty", testid: "pxw-hub-empty" }, "No patterns here yet: make one in the New pattern tab, or in Python."));
      return;
    }
    const groups = new Map<string, HubPattern[]>();
    for (const p of catalog.patterns) (groups.get(p.dir) ?? groups.set(p.dir, []).get(p.dir)!).push(p);
    replace(
      listEl,
      ...[...groups].map(([dir, patterns]) =>
        h("section", { class: "pxw-hub-group", testid: "pxw-hub-group", "data-dir": dir }, h("div", { class: "pxw-hub-dir" }, dir || "(top level)"), ...patterns.map(patternRow)),
      ),
    );
  }

  function drawGraph(): void {
    if (!catalog) return;
    replace(graphEl, renderHubGraph(catalog.lineage, (n: HubNode) => {
      if (n.kind === "table") void openChild({ kind: "table", path: n.path }, `table:${n.path}`);
      else {
        const p = catalog?.patterns.find((x) => x.key === n.id);
        if (p) void openChild({ kind: p.kind, path: p.path, name: p.name }, p.key);
      }
    }));
  }

  async function loadCatalog(): Promise<void> {
    refreshBtn.classList.add("pxw-spinning");
    const reply = await shell.call<HubCatalogReply>("catalog", {}, { key: "catalog", progress: false });
    refreshBtn.classList.remove("pxw-spinning");
    if (!reply) return;
    catalog = reply.payload;
    fingerprint = catalog.fingerprint;
    const n = catalog.patterns.length;
    const problems = catalog.patterns.reduce((sum, p) => sum + p.problems.length, 0);
    shell.setBadges(
      h("span", { class: "pxw-badge pxw-badge-table", testid: "pxw-hub-dir-badge" }, catalog.dir || "whole catalog"),
      h("span", { class: "pxw-header-count", testid: "pxw-hub-count" }, `${n} pattern${n === 1 ? "" : "s"}`),
      problems ? h("span", { class: "pxw-badge pxw-hub-problem", testid: "pxw-hub-problem-count" }, `⚠ ${problems}`) : null,
      h("span", { class: "pxw-dim" }, `${fmtCount(catalog.tables)} tables · ${Math.round(catalog.elapsed_ms)} ms`),
    );
    drawList();
    if (shell.tabs?.active === "lineage") drawGraph();
    if (tablesLoaded) void loadTables(true);
  }

  // ---- new pattern on a table --------------------------------------------------------------------------------------
  const tableSel = select([], { testid: "pxw-hub-new-table", "aria-label": "Table" });
  const kindSel = select([], { testid: "pxw-hub-new-kind", "aria-label": "Pattern" });
  const kindHelp = h("div", { class: "pxw-dim pxw-hub-new-help", testid: "pxw-hub-new-help" });
  const formHost = h("div", { class: "pxw-hub-new-form" });
  const code = new CodeBox("The Python that creates it");
  const writes = h("ul", { class: "pxw-hub-writes", testid: "pxw-hub-preview-writes" });
  const previewBox = h("div", { class: "pxw-hub-preview", testid: "pxw-hub-preview" }, code.el, h("div", { class: "pxw-dim" }, "What creating it writes:"), writes);
  previewBox.hidden = true;
  let fields: ParamFields | null = null;
  const previewBtn = button("Preview", () => void preview(), { class: "pxw-btn", testid: "pxw-hub-preview-btn", title: "Check the parameters and show what would be written (nothing is written)" });
  const createBtn = button("Create", () => void create(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-hub-create", title: "Create it and open its panel here" });
  newEl.append(
    h("div", { class: "pxw-hub-new-row" }, h("label", {}, "Table ", tableSel), h("label", {}, "Pattern ", kindSel)),
    kindHelp,
    formHost,
    h("div", { class: "pxw-hub-new-row" }, previewBtn, createBtn),
    previewBox,
  );

  async function loadTables(keep = false): Promise<void> {
    const reply = await shell.call<TablesReply>("tables", {}, { key: "tables", progress: false });
    if (!reply) return;
    tablesLoaded = true;
    const current = tableSel.value;
    replace(tableSel, ...reply.payload.tables.map((t) => h("option", { value: t.path }, `${t.path} (${t.kind}, ${t.columns.length} columns)`)));
    if (keep && current) tableSel.value = current;
    const kind = kindSel.value;
    replace(kindSel, ...reply.payload.kinds.map((k) => h("option", { value: k.kind, title: k.description }, KIND_LABELS[k.kind] ?? k.kind)));
    if (keep && kind) kindSel.value = kind;
    if (!keep || !fields) await loadForm();
  }

  async function loadForm(): Promise<void> {
    previewBox.hidden = true;
    if (!tableSel.value || !kindSel.value) return;
    const reply = await shell.call<FormReply>("form", { table: tableSel.value, kind: kindSel.value }, { key: "form", progress: false });
    if (!reply) return;
    kindHelp.textContent = reply.payload.description;
    fields = new ParamFields(reply.payload.params, () => (previewBox.hidden = true));
    replace(formHost, fields.el);
  }
  tableSel.addEventListener("change", () => void loadForm());
  kindSel.addEventListener("change", () => void loadForm());

  function request(): { table: string; kind: string; params: Record<string, unknown> } | null {
    if (!fields) return null;
    const { params, firstBad } = fields.values();
    if (firstBad) {
      firstBad.focus();
      return null;
    }
    return { table: tableSel.value, kind: kindSel.value, params };
  }

  async function preview(): Promise<void> {
    const req = request();
    if (!req) return;
    try {
      const reply = await shell.call<PreviewReply>("preview", req, { key: "preview", progress: false, rethrow: true });
      if (!reply) return;
      fields?.clearServerErrors();
      code.set(reply.payload.code);
      replace(writes, ...reply.payload.writes.map((w) => h("li", {}, w)), ...reply.payload.notes.map((n) => h("li", { class: "pxw-dim" }, n)));
      previewBox.hidden = false;
    } catch (err) {
      fields?.showServerErrors(err);
      shell.showError(err);
    }
  }

  async function create(): Promise<void> {
    const req = request();
    if (!req) return;
    createBtn.disabled = true;
    try {
      const reply = await shell.call<CreateReply>("create", req, { timeoutMs: OPEN_TIMEOUT_MS, rethrow: true });
      if (!reply) return;
      const opened = reply.payload.opened;
      await mount(opened, reply.buffers, reply.payload.key);
      shell.tabs?.show("patterns");
      await loadCatalog();
    } catch (err) {
      fields?.showServerErrors(err);
      shell.showError(err);
    } finally {
      createBtn.disabled = false;
    }
  }

  // ---- refresh when the catalog changes -------------------------------------------------------------------------
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;
  const visible = () => shell.el.isConnected && document.visibilityState === "visible" && shell.el.getClientRects().length > 0;
  async function poll(): Promise<void> {
    if (polling || !fingerprint || !visible()) return;
    polling = true;
    try {
      const reply = await shell.call<FingerprintReply>("fingerprint", {}, { key: "fingerprint", progress: false, rethrow: true });
      if (reply && reply.payload.fingerprint !== fingerprint) await loadCatalog();
    } catch {
      // a failed poll is tried again at the next tick
    } finally {
      polling = false;
    }
  }
  function startPolling(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    const seconds = Number(model.get("poll_seconds") ?? 0);
    if (seconds > 0) timer = setInterval(() => void poll(), seconds * 1000);
  }
  const onPollTrait = () => startPolling();
  const onDirTrait = () => void loadCatalog();
  model.on("change:poll_seconds", onPollTrait);
  model.on("change:dir", onDirTrait);
  startPolling();
  void loadCatalog();

  return () => {
    if (timer !== undefined) clearInterval(timer);
    model.off("change:poll_seconds", onPollTrait);
    model.off("change:dir", onDirTrait);
    hub.off("msg:custom", onMessage);
    for (const child of children.values()) child.dispose();
    children.clear();
    shell.dispose();
  };
}

export default { render };
