// CascadeSearch: one search box over every granularity of a semantic index cascade. Results per level side by side
// (score, latency), the fused and auto-merged lists, the best sentence highlighted inside its paragraph inside its
// section (as text), drill from a coarse hit into its finer hits, a document filter; a Levels tab to add a level by
// click (progress, Cancel); an Evaluation tab with recall / MRR / nDCG per level as a plotly chart.
// Talks to pxwidgets/panels/cascade_search.py; traits hold only path / query / k.

import type { AnyModel, RenderProps } from "@anywidget/types";
import "../lib/theme.css";
import "../lib/panel.css";
import "./cascade_search.css";
import { Chart } from "../lib/chart";
import { button, fmtCount, h, replace, select } from "../lib/dom";
import { PanelShell } from "../lib/shell";
import type {
  AddLevelReply,
  ContextReply,
  DocumentInfo,
  DocumentsReply,
  DrillReply,
  EvaluateReply,
  HitInfo,
  HitRef,
  InfoReply,
  LevelCountsReply,
  LevelInfo,
  SearchReply,
  UnitInfo,
} from "./contract";

interface Traits {
  path: string;
  query: string;
  k: number;
  last_error: string;
}

const SNIPPET = 280;
/** Milliseconds after the last keystroke in the document finder before it asks the kernel. */
const FIND_DELAY = 250;

function snippet(text: string, limit = SNIPPET): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit - 1)}…`;
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function ref(hit: HitInfo): HitRef {
  return { level: hit.level, doc_key: hit.doc_key, start: hit.start, end: hit.end, query: hit.query };
}

/** The outer unit's text with the inner units marked, built from text slices (never HTML). */
export function markedText(chain: UnitInfo[]): HTMLElement {
  const outer = chain[0];
  const box = h("div", { class: "pxw-cs-context-text", testid: "pxw-cs-context-text" });
  if (!outer) return box;
  const inner = chain.slice(1);
  const build = (start: number, end: number, depth: number): (Node | string)[] => {
    const unit = inner[depth];
    if (!unit || unit.end <= start || unit.start >= end) return [outer.text.slice(start - outer.start, end - outer.start)];
    const s = Math.max(unit.start, start);
    const e = Math.min(unit.end, end);
    const mark = h("mark", {
      class: depth === inner.length - 1 ? "pxw-cs-mark-best" : "pxw-cs-mark-parent",
      testid: depth === inner.length - 1 ? "pxw-cs-mark-best" : `pxw-cs-mark-${unit.level}`,
      title: unit.level,
    });
    mark.append(...build(s, e, depth + 1));
    return [outer.text.slice(start - outer.start, s - outer.start), mark, outer.text.slice(e - outer.start, end - outer.start)];
  };
  box.append(...build(outer.start, outer.end, 0));
  return box;
}

function render({ model, el }: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  let info: InfoReply | null = null;
  let last: SearchReply | null = null;
  let selectedId = "";
  const evalChart = new Chart("pxw-cs-eval-chart");

  // ---- search tab -----------------------------------------------------------------------------------------------
  const queryInput = h("input", {
    type: "search",
    class: "pxw-input pxw-cs-query",
    testid: "pxw-cs-query",
    placeholder: "Search every level at once, e.g. how do I catch an exception?",
    "aria-label": "Query",
    spellcheck: "false",
  }) as HTMLInputElement;
  const kSelect = select(
    [3, 5, 10, 20].map((n) => [String(n), `${n} per level`] as [string, string]),
    { testid: "pxw-cs-k", "aria-label": "Hits per level" },
  );
  const docSelect = select([["", "all documents"]], { testid: "pxw-cs-doc", "aria-label": "Only this document" });
  const docFind = h("input", {
    type: "search",
    class: "pxw-input pxw-cs-doc-find",
    testid: "pxw-cs-doc-find",
    placeholder: "find a document",
    "aria-label": "Find a document by its key or title",
    spellcheck: "false",
  }) as HTMLInputElement;
  const searchBtn = button("Search", () => void search(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-cs-search" });
  const notes = h("div", { class: "pxw-cs-notes", testid: "pxw-cs-notes" });
  const timing = h("span", { class: "pxw-dim", testid: "pxw-cs-timing" });
  const columns = h("div", { class: "pxw-cs-columns", testid: "pxw-cs-columns" });
  const drillBox = h("div", { class: "pxw-cs-drill", testid: "pxw-cs-drill", hidden: true });
  const contextBox = h(
    "div",
    { class: "pxw-cs-context", testid: "pxw-cs-context" },
    h("span", { class: "pxw-dim" }, "Search, then click a hit to see it inside its paragraph and section."),
  );
  const searchTab = h(
    "div",
    { class: "pxw-cs-search-tab" },
    h("form", { class: "pxw-cs-bar" }, queryInput, kSelect, docFind, docSelect, searchBtn, timing),
    notes,
    columns,
    h("div", { class: "pxw-cs-detail" }, drillBox, contextBox),
  );
  (searchTab.querySelector("form") as HTMLFormElement).addEventListener("submit", (ev) => ev.preventDefault());
  queryInput.addEventListener("keydown", (ev) => {
    // handled here: JupyterLab's notebook shortcuts may swallow the form's implicit submission
    if (ev.key === "Enter") {
      ev.preventDefault();
      ev.stopPropagation();
      void search();
    }
  });

  let findTimer: ReturnType<typeof setTimeout> | undefined;
  docFind.addEventListener("input", () => {
    clearTimeout(findTimer);
    findTimer = setTimeout(() => void findDocuments(), FIND_DELAY);
  });
  docFind.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      ev.stopPropagation();
      clearTimeout(findTimer);
      void findDocuments();
    }
  });

  // ---- levels tab -----------------------------------------------------------------------------------------------
  const levelsTable = h("div", { class: "pxw-cs-levels", testid: "pxw-cs-levels" });
  const problemsBox = h("div", { class: "pxw-cs-problems", testid: "pxw-cs-problems" });
  const nameInput = h("input", { type: "text", class: "pxw-input", testid: "pxw-cs-new-name", placeholder: "name, e.g. windows_256", "aria-label": "Level name", spellcheck: "false" }) as HTMLInputElement;
  const unitSelect = select(
    [["section", "sections (by heading)"], ["paragraph", "paragraphs"], ["sentence", "sentences"], ["window", "windows of N words"]],
    { testid: "pxw-cs-new-unit", "aria-label": "Splitter" },
  );
  const sizeInput = h("input", { type: "number", class: "pxw-input pxw-cs-num", testid: "pxw-cs-new-size", value: "128", min: "8", max: "8192", "aria-label": "Words per window" }) as HTMLInputElement;
  const overlapInput = h("input", { type: "number", class: "pxw-input pxw-cs-num", testid: "pxw-cs-new-overlap", value: "32", min: "0", "aria-label": "Words shared with the next window" }) as HTMLInputElement;
  const windowFields = h("span", { class: "pxw-cs-window-fields" }, h("label", null, "size ", sizeInput), h("label", null, "overlap ", overlapInput));
  const embedSelect = select([], { testid: "pxw-cs-new-embedding", "aria-label": "Index" });
  const addBtn = button("Add level", () => void addLevel(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-cs-add" });
  const fieldErrors = h("div", { class: "pxw-cs-field-errors", testid: "pxw-cs-field-errors" });
  const syncWindow = () => (windowFields.hidden = unitSelect.value !== "window");
  unitSelect.addEventListener("change", syncWindow);
  syncWindow();
  const levelsTab = h(
    "div",
    { class: "pxw-cs-levels-tab" },
    levelsTable,
    problemsBox,
    h("h4", { class: "pxw-cs-h" }, "Add a level"),
    h("div", { class: "pxw-cs-add-form" }, nameInput, unitSelect, windowFields, embedSelect, addBtn),
    fieldErrors,
  );

  // ---- evaluation tab -------------------------------------------------------------------------------------------
  const evalK = select([["1", "k = 1"], ["3", "k = 3"], ["5", "k = 5"], ["10", "k = 10"]], { testid: "pxw-cs-eval-k", "aria-label": "Cut-off" });
  evalK.value = "5";
  const evalBtn = button("Evaluate", () => void evaluate(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-cs-evaluate" });
  const evalSummary = h("div", { class: "pxw-cs-eval-summary", testid: "pxw-cs-eval-summary" });
  const evalTable = h("div", { class: "pxw-cs-eval-table", testid: "pxw-cs-eval-table" });
  const evalIntro = h("span", { class: "pxw-dim", testid: "pxw-cs-eval-intro" });
  const evalTab = h(
    "div",
    { class: "pxw-cs-eval-tab" },
    h("div", { class: "pxw-cs-bar" }, evalIntro, evalK, evalBtn),
    evalSummary,
    h("div", { class: "pxw-cs-chart-box" }, evalChart.el),
    evalTable,
  );

  const shell = new PanelShell(model as AnyModel, {
    title: "Cascade search",
    testid: "pxw-cascade-search",
    tabs: [
      { name: "search", label: "Search", content: searchTab },
      { name: "levels", label: "Levels", content: levelsTab },
      { name: "evaluation", label: "Evaluation", content: evalTab },
    ],
  });
  el.replaceChildren(shell.el);

  // ---- info -----------------------------------------------------------------------------------------------------
  function showInfo(reply: InfoReply): void {
    info = reply;
    shell.setBadges(
      h("span", { class: "pxw-cs-badge", title: "The cascade's directory" }, reply.path),
      h("span", { class: "pxw-cs-badge", testid: "pxw-cs-doc-count" }, `${fmtCount(reply.documents_total)} documents`),
      h("span", { class: "pxw-cs-badge" }, `${reply.levels.length} levels`),
      reply.problems_total ? h("span", { class: "pxw-cs-badge pxw-cs-badge-warn", testid: "pxw-cs-problem-count" }, `${fmtCount(reply.problems_total)} failed to split`) : null,
    );
    fillDocuments(reply.documents, reply.documents_total, null);
    showLevels(reply.levels);
    replace(
      problemsBox,
      ...(reply.problems.length
        ? [
            h("h4", { class: "pxw-cs-h" }, "Documents that failed to split (the others are indexed)"),
            ...reply.problems.map((p) => h("div", { class: "pxw-cs-problem" }, h("b", null, p.key), ": ", p.error ?? "")),
            reply.problems_total > reply.problems.length ? h("div", { class: "pxw-dim" }, `… and ${fmtCount(reply.problems_total - reply.problems.length)} more (cascade.problems() lists them all)`) : null,
          ]
        : []),
    );
    replace(embedSelect, ...reply.embeddings.map((e) => h("option", { value: e.key, title: e.description }, `embedding: ${e.key}`)), h("option", { value: "bm25" }, "lexical: BM25"));
    replace(evalIntro, reply.queries ? `${reply.queries} labelled queries; documents ranked by each level, fused, and a BM25 baseline.` : "No labelled query set: open the panel with CascadeSearch(cascade, queries=...).");
    evalBtn.disabled = !reply.queries;
    if (!reply.levels.length) replace(columns, h("span", { class: "pxw-dim" }, "No level yet: add one in the Levels tab."));
  }

  /** The document filter: one page of documents (the first, or those the finder found) and how many match. */
  function fillDocuments(documents: DocumentInfo[], total: number, search: string | null): void {
    const current = docSelect.value;
    replace(docSelect, h("option", { value: "" }, "all documents"));
    for (const d of documents) if (!d.error) docSelect.append(h("option", { value: d.key }, `${d.key} — ${snippet(d.title, 50)}`));
    if (current && !documents.some((d) => d.key === current)) docSelect.append(h("option", { value: current }, current)); // kept while chosen
    const more = total - documents.length;
    if (more > 0) {
      const hint = search === null ? ": type in the finder to see them" : "";
      docSelect.append(h("option", { value: "", disabled: true, testid: "pxw-cs-doc-more" }, `… ${fmtCount(more)} more${hint}`));
    }
    if (search !== null && !documents.length) docSelect.append(h("option", { value: "", disabled: true, testid: "pxw-cs-doc-none" }, `no document matches “${snippet(search, 30)}”`));
    docSelect.value = current;
  }

  async function findDocuments(): Promise<void> {
    const search = docFind.value.trim();
    const reply = await shell.call<DocumentsReply>("documents", { search: search || null }, { key: "documents", progress: false });
    if (reply) fillDocuments(reply.payload.documents, reply.payload.total, reply.payload.search);
  }

  function showLevels(levels: LevelInfo[]): void {
    replace(
      levelsTable,
      h(
        "table",
        { class: "pxw-cs-table" },
        h("thead", null, h("tr", null, ...["level", "unit", "index", "units", "documents", "mean words"].map((c) => h("th", null, c)))),
        h(
          "tbody",
          null,
          ...levels.map((lv: LevelInfo) =>
            h(
              "tr",
              { testid: `pxw-cs-level-row-${lv.name}` },
              h("td", { title: lv.flat_reason ? `flat level: ${lv.flat_reason}` : lv.description }, lv.name + (lv.adopted ? " (adopted)" : "") + (lv.flat_reason ? " · flat" : "")),
              h("td", { title: lv.description }, String(lv.splitter.unit ?? "") + (lv.splitter.size ? ` ${lv.splitter.size}` : "")),
              h("td", null, lv.lexical ? "BM25" : lv.embedding ?? ""),
              countCell(lv.units, "units"),
              countCell(lv.documents, "documents with units"),
              h("td", { class: "pxw-num" }, lv.mean_words === null ? (lv.units === null ? "…" : "—") : lv.mean_words.toFixed(1)),
            ),
          ),
        ),
      ),
    );
  }

  function countCell(n: number | null, what: string): HTMLElement {
    return h("td", { class: "pxw-num", title: n === null ? "counting…" : what }, n === null ? "…" : fmtCount(n));
  }

  /** The levels' counts arrive after first paint (one SQL count per level; once per version of a level). */
  async function countLevels(levels: LevelInfo[]): Promise<void> {
    if (!levels.some((lv) => lv.units === null || lv.documents === null)) return;
    const reply = await shell.call<LevelCountsReply>("level_counts", {}, { key: "counts", progress: false });
    if (!reply || !info) return;
    info = { ...info, levels: reply.payload.levels };
    showLevels(reply.payload.levels);
  }

  async function load(): Promise<void> {
    const reply = await shell.call<InfoReply>("info", {}, { key: "info" });
    if (reply) {
      showInfo(reply.payload);
      void countLevels(reply.payload.levels);
    }
    const q = model.get("query");
    if (q && !queryInput.value) {
      queryInput.value = q;
      void search();
    }
  }

  // ---- hits -----------------------------------------------------------------------------------------------------
  function hitCard(hit: HitInfo, opts: { drillTo?: string | null } = {}): HTMLElement {
    const card = h(
      "div",
      { class: "pxw-cs-hit", testid: "pxw-cs-hit", "data-id": hit.id, "data-doc": hit.doc_key, tabindex: "0", role: "button" },
      h(
        "div",
        { class: "pxw-cs-hit-head" },
        h("span", { class: "pxw-cs-rank" }, `#${hit.rank}`),
        h("span", { class: "pxw-cs-score", testid: "pxw-cs-score", title: "score" }, hit.score.toFixed(3)),
        h("span", { class: "pxw-cs-doc", title: hit.doc_title }, hit.doc_key),
        hit.level !== hit.kind && hit.children.length ? h("span", { class: "pxw-cs-children", title: hit.children.map((c) => `${c.level} #${c.rank}`).join(", ") }, `${hit.children.length} hits inside`) : null,
      ),
      hit.heading ? h("div", { class: "pxw-cs-heading" }, snippet(hit.heading, 90)) : null,
      h("div", { class: "pxw-cs-text" }, snippet(hit.text)),
    );
    if (hit.id === selectedId) card.classList.add("pxw-cs-selected");
    const open = () => void openHit(hit, card, opts.drillTo ?? null);
    card.addEventListener("click", open);
    card.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        open();
      }
    });
    return card;
  }

  function column(title: string, sub: string, testid: string, hits: HitInfo[], drillTo: string | null): HTMLElement {
    return h(
      "div",
      { class: "pxw-cs-column", testid },
      h("div", { class: "pxw-cs-column-head" }, h("b", null, title), h("span", { class: "pxw-dim" }, sub)),
      ...(hits.length ? hits.map((hit) => hitCard(hit, { drillTo })) : [h("span", { class: "pxw-dim" }, "no hits")]),
    );
  }

  /** The level a click drills into: the finest nested embedding level, unless `level` is that level already. */
  function finerThan(level: string): string | null {
    if (!info) return null;
    const names = info.levels.filter((l) => l.nested && !l.lexical).map((l) => l.name);
    const finest = names[names.length - 1] ?? null;
    return finest === level ? null : finest;
  }

  function showResults(reply: SearchReply): void {
    last = reply;
    replace(timing, `${ms(reply.total_ms)} in all; query embedded ${Object.keys(reply.embed_ms).length}× (${Object.entries(reply.embed_ms).map(([m, t]) => `${m} ${ms(t)}`).join(", ")})`);
    replace(notes, ...reply.notes.map((n) => h("div", { class: "pxw-cs-note" }, n)));
    const cols = reply.levels.map((r) => {
      const lv = info?.levels.find((l) => l.name === r.level);
      return column(r.level, `${lv?.lexical ? "BM25" : r.embedding ?? ""} · ${ms(r.ms)}`, `pxw-cs-level-${r.level}`, r.hits, finerThan(r.level));
    });
    cols.push(column("fused", `RRF over ${reply.fused_level ?? "—"}`, "pxw-cs-fused", reply.fused, finerThan(reply.fused_level ?? "")));
    cols.push(column("merged", "auto-merged finest hits", "pxw-cs-merged", reply.merged, null));
    replace(columns, ...cols);
    drillBox.hidden = true;
    if (reply.context) showContext(reply.context);
  }

  function showContext(ctx: ContextReply): void {
    const outer = ctx.chain[0];
    replace(
      contextBox,
      h(
        "div",
        { class: "pxw-cs-context-head" },
        h("b", { testid: "pxw-cs-context-doc" }, ctx.doc_title || ctx.doc_key),
        outer?.heading ? h("span", { class: "pxw-dim" }, ` › ${outer.heading}`) : null,
        h("span", { class: "pxw-cs-legend" }, ...ctx.chain.slice(1).map((u, i) => h("span", { class: i === ctx.chain.length - 2 ? "pxw-cs-mark-best" : "pxw-cs-mark-parent" }, u.level))),
      ),
      markedText(ctx.chain),
    );
    contextBox.querySelector(".pxw-cs-mark-best")?.scrollIntoView?.({ block: "nearest" });
  }

  async function openHit(hit: HitInfo, card: HTMLElement, drillTo: string | null): Promise<void> {
    selectedId = hit.id;
    for (const c of Array.from(columns.querySelectorAll(".pxw-cs-selected"))) c.classList.remove("pxw-cs-selected");
    card.classList.add("pxw-cs-selected");
    if (drillTo && drillTo !== hit.level) {
      const reply = await shell.call<DrillReply>("drill", { hit: ref(hit), level: drillTo, k: Number(kSelect.value) }, { key: "detail" });
      if (!reply) return;
      const r = reply.payload;
      replace(
        drillBox,
        h("div", { class: "pxw-cs-column-head" }, h("b", null, `${r.level} inside ${hit.level} #${hit.rank}`), h("span", { class: "pxw-dim" }, ` ${hit.doc_key}${hit.heading ? ` › ${snippet(hit.heading, 60)}` : ""}`)),
        ...(r.hits.length ? r.hits.map((x) => hitCard(x)) : [h("span", { class: "pxw-dim" }, "nothing finer inside")]),
      );
      drillBox.hidden = false;
      if (r.context) showContext(r.context);
      return;
    }
    const reply = await shell.call<ContextReply>("context", { hit: ref(hit) }, { key: "detail" });
    if (reply) showContext(reply.payload);
  }

  async function search(): Promise<void> {
    const query = queryInput.value;
    const payload = { query, k: Number(kSelect.value), documents: docSelect.value ? [docSelect.value] : null };
    searchBtn.disabled = true;
    try {
      const reply = await shell.call<SearchReply>("search", payload, { key: "search", progress: false });
      if (reply) showResults(reply.payload);
    } finally {
      searchBtn.disabled = false;
    }
  }

  // ---- add a level ----------------------------------------------------------------------------------------------
  async function addLevel(): Promise<void> {
    replace(fieldErrors);
    const lexical = embedSelect.value === "bm25";
    const payload = {
      name: nameInput.value.trim(),
      unit: unitSelect.value,
      size: unitSelect.value === "window" ? Number(sizeInput.value) : null,
      overlap: unitSelect.value === "window" ? Number(overlapInput.value) : null,
      embedding: lexical ? null : embedSelect.value,
      lexical,
    };
    addBtn.disabled = true;
    try {
      const reply = await shell.call<AddLevelReply>("add_level", payload, { key: "add", rethrow: true });
      if (!reply) return;
      nameInput.value = "";
      const infoReply = await shell.call<InfoReply>("info", {}, { key: "info" });
      if (infoReply) {
        showInfo(infoReply.payload);
        void countLevels(infoReply.payload.levels);
      }
      replace(fieldErrors, h("span", { class: "pxw-cs-ok", testid: "pxw-cs-added" }, `Level ${reply.payload.level.name} added: ${fmtCount(reply.payload.level.units ?? 0)} units.`));
      if (last) void search();
    } catch (err) {
      shell.showError(err);
      const fields = PanelShell.fieldErrors(err);
      replace(fieldErrors, ...Array.from(fields, ([param, message]) => h("div", { class: "pxw-cs-field-error", testid: `pxw-cs-error-${param}` }, `${param}: ${message}`)));
    } finally {
      addBtn.disabled = false;
    }
  }

  // ---- evaluation -----------------------------------------------------------------------------------------------
  async function evaluate(): Promise<void> {
    evalBtn.disabled = true;
    try {
      const reply = await shell.call<EvaluateReply>("evaluate", { k: Number(evalK.value) }, { key: "evaluate" });
      if (!reply) return;
      const r = reply.payload;
      replace(evalSummary, r.summary);
      await evalChart.update(r.figure);
      replace(
        evalTable,
        h(
          "table",
          { class: "pxw-cs-table" },
          h("thead", null, h("tr", null, ...["method", `recall@${r.k}`, "MRR", `nDCG@${r.k}`, "median ms"].map((c) => h("th", null, c)))),
          h(
            "tbody",
            null,
            ...r.scores.map((s) =>
              h(
                "tr",
                { class: s.method === r.best ? "pxw-cs-best" : "", testid: `pxw-cs-eval-row-${s.method}` },
                h("td", null, s.method),
                h("td", { class: "pxw-num" }, s.recall.toFixed(3)),
                h("td", { class: "pxw-num" }, s.mrr.toFixed(3)),
                h("td", { class: "pxw-num" }, s.ndcg.toFixed(3)),
                h("td", { class: "pxw-num" }, s.method in r.latency_ms ? ms(r.latency_ms[s.method]) : "—"),
              ),
            ),
            ...r.fusions.map((s) =>
              h(
                "tr",
                { class: "pxw-cs-fusion-row", testid: `pxw-cs-fusion-row-${s.method}`, title: `held-out scores, ${r.folds}-fold cross-validation` },
                h("td", null, s.method === "chosen" ? `fusion chosen: ${r.chosen_fusion ?? ""} (cv)` : `fusion ${s.method} (cv)`),
                h("td", { class: "pxw-num" }, s.recall.toFixed(3)),
                h("td", { class: "pxw-num" }, s.mrr.toFixed(3)),
                h("td", { class: "pxw-num" }, s.ndcg.toFixed(3)),
                h("td", { class: "pxw-num" }, "—"),
              ),
            ),
          ),
        ),
      );
    } finally {
      evalBtn.disabled = false;
    }
  }

  void load();
  return () => {
    evalChart.dispose();
    shell.dispose();
  };
}

export default { render };
