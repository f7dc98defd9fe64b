// The "Add stage" form: pick a transform that can read the chosen stage's output, fill in a form generated from its
// parameter schema (numbers with ranges, checkboxes, choices, text), name the new stage, Preview it on a few rows
// (nothing written) and Add it. The browser checks what it can (required, ranges, the name's shape) with a message
// beside each field; the kernel's validation is the authority and its refusals are shown beside the form too.

import "./stage_builder.css";
import type { Json, PageReply, TransformEntry } from "../lib/contract";
import { button, h, replace } from "../lib/dom";
import { Grid } from "../lib/grid";
import type { Reply } from "../lib/rpc";
import { ParamFields, uid } from "../lib/param_form";
import { describeError } from "../lib/status";
import type { StageDraft, StageNode } from "./contract";
import { kindLabel } from "./kinds";

/** What Pixeltable accepts as a stage (column or view) name; the kernel also refuses reserved words. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const PREVIEW_ROWS = 10;
/** The kernel computes at most this many preview rows. */
const MAX_PREVIEW_ROWS = 50;

const GROUPS: [string, string][] = [
  ["iterator", "Iterators — one row becomes many"],
  ["column", "Columns — one new value per row"],
  ["filter", "Filters — keep some rows"],
];

export interface TransformFormHandlers {
  /** The transforms that can read `after`'s output. */
  loadTransforms: (after: string) => Promise<TransformEntry[]>;
  /** The first `n` rows the new stage would produce; nothing is written. */
  preview: (draft: StageDraft & { n: number }) => Promise<Reply<PageReply>>;
  /** Add the stage (long work); resolves when it is done or failed. */
  add: (draft: StageDraft) => Promise<void>;
  /** Any failure, for the panel's error area. */
  onError: (err: unknown) => void;
  /** The stage the form adds after changed (to outline it in the graph). */
  onAfter?: (after: string) => void;
}

export class TransformForm {
  readonly el: HTMLElement;
  private readonly afterSelect = h("select", { class: "pxw-select pxw-sf-after", testid: "pxw-after-select", "aria-label": "Add after stage" });
  private readonly transformSelect = h("select", { class: "pxw-select pxw-sf-transform", testid: "pxw-transform-select", "aria-label": "Transform" });
  private readonly kindBadge = h("span", { class: "pxw-sg-kind pxw-sf-kind", hidden: true });
  private readonly about = h("div", { class: "pxw-sf-about", testid: "pxw-transform-description" });
  private readonly paramsBox = h("div", { class: "pxw-sf-params-box" });
  private readonly nameInput = h("input", { class: "pxw-input pxw-sf-name", type: "text", testid: "pxw-stage-name", "aria-label": "Stage name", spellcheck: "false", autocomplete: "off" });
  private readonly nameError = h("div", { class: "pxw-sf-field-error", testid: "pxw-stage-name-error", id: uid("name-err"), "aria-live": "polite" });
  private readonly previewBtn: HTMLButtonElement;
  private readonly addBtn: HTMLButtonElement;
  private readonly status = h("span", { class: "pxw-sf-status", testid: "pxw-add-status", "aria-live": "polite" });
  private readonly formError = h("div", { class: "pxw-sf-error", testid: "pxw-form-error", role: "alert", hidden: true });
  private readonly previewSection: HTMLElement;
  private readonly previewTitle = h("div", { class: "pxw-sf-preview-title" });
  private readonly previewGrid: Grid;
  private stages: StageNode[] = [];
  private after = "";
  private transforms: TransformEntry[] = [];
  private fields: ParamFields | null = null;
  private nameTouched = false;
  private nameEdited = false;
  private nameServer = "";
  private previewDraft: (StageDraft & { n: number }) | null = null;
  private generation = 0;
  private adding = false;
  private stale = false;

  constructor(private readonly handlers: TransformFormHandlers) {
    this.afterSelect.addEventListener("change", () => {
      const next = this.afterSelect.value;
      this.setAfter(next);
      handlers.onAfter?.(next);
    });
    this.transformSelect.addEventListener("change", () => this.showTransform());
    this.nameInput.addEventListener("input", () => {
      this.nameEdited = true;
      this.nameTouched = true;
      this.nameServer = "";
      this.validateName();
      this.markStale();
    });
    this.nameInput.addEventListener("blur", () => {
      this.nameTouched = true;
      this.validateName();
    });
    this.nameInput.setAttribute("aria-describedby", this.nameError.id);
    this.previewBtn = button("Preview", () => void this.preview(), { class: "pxw-btn", testid: "pxw-preview", title: "Compute the new stage on a few rows; nothing is written" });
    this.addBtn = button("Add stage", () => void this.add(), { class: "pxw-btn pxw-btn-primary", testid: "pxw-add-stage", title: "Create the stage over all rows" });
    this.previewGrid = new Grid({
      fetchPage: (req) => this.fetchPreview(Math.min(req.limit, MAX_PREVIEW_ROWS)),
      pageSize: PREVIEW_ROWS,
      idPrefix: "pxw-preview",
      emptyText: "The new stage produces no rows on this sample.",
      onError: (err) => {
        this.previewSection.hidden = true; // the refusal shows beside the form; no empty grid
        this.showServerError(err);
        handlers.onError(err);
      },
      onPage: () => {
        this.clearServerErrors();
        this.highlightPreviewColumn();
      },
    });
    this.previewSection = h(
      "section",
      { class: "pxw-sf-preview", testid: "pxw-preview-section", hidden: true, "aria-label": "Preview" },
      this.previewTitle,
      this.previewGrid.el,
    );
    const form = h(
      "form",
      { class: "pxw-sf", testid: "pxw-add-form", novalidate: true },
      h(
        "div",
        { class: "pxw-sf-head" },
        h("label", { class: "pxw-sf-label" }, "After", this.afterSelect),
        h("span", { class: "pxw-sf-arrow", "aria-hidden": "true" }, "→"),
        h("label", { class: "pxw-sf-label" }, "Transform", this.transformSelect),
        this.kindBadge,
      ),
      this.about,
      this.paramsBox,
      h(
        "div",
        { class: "pxw-sf-name-row" },
        h("label", { class: "pxw-sf-label" }, "Stage name", this.nameInput),
        this.nameError,
      ),
      h("div", { class: "pxw-sf-actions" }, this.previewBtn, this.addBtn, this.status),
      this.formError,
    );
    // Enter in a text or number field previews (never adds: that writes). No implicit submission without a submit button.
    form.addEventListener("submit", (ev) => ev.preventDefault());
    form.addEventListener("keydown", (ev) => {
      const t = ev.target as HTMLElement;
      if (ev.key === "Enter" && t instanceof HTMLInputElement && t.type !== "checkbox") {
        ev.preventDefault();
        void this.preview();
      }
    });
    this.el = h("div", { class: "pxw-sf-wrap" }, form, this.previewSection);
    this.renderAbout(null);
    this.syncButtons();
  }

  /** The stage the form adds after ('' before any). */
  get afterStage(): string {
    return this.after;
  }

  /** The pipeline's stages: the "after" choices, and the names already taken. */
  setStages(stages: StageNode[]): void {
    this.stages = stages;
    replace(this.afterSelect, ...stages.map((s) => h("option", { value: s.id }, `${s.id} · ${kindLabel(s.kind).toLowerCase()}`)));
    if (this.after && !stages.some((s) => s.id === this.after)) {
      this.after = ""; // dropped: its transforms and draft go too
      void this.loadTransforms();
    }
    this.afterSelect.value = this.after;
    if (this.fields?.size || this.nameInput.value) this.validateName(); // a name may have become taken (or free)
  }

  /** Add after `stage`: fetch the transforms that can read its output (unless already there or on the way). */
  setAfter(stage: string): void {
    if (stage === this.after && !this.stale) return;
    this.after = stage;
    this.afterSelect.value = stage;
    void this.loadTransforms();
  }

  /** After a successful add: the next setAfter() starts a fresh draft (transforms again, a free default name). */
  consumed(): void {
    this.stale = true;
    this.nameEdited = false;
    this.nameTouched = false;
    this.nameServer = "";
  }

  /** True while the add request runs: the Add button is disabled (everything else stays usable). */
  setAdding(on: boolean, status = ""): void {
    this.adding = on;
    this.addBtn.textContent = on ? "Adding…" : "Add stage";
    this.setStatus(status);
    this.syncButtons();
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  /** A refusal from the kernel: beside the form, and beside the field it names when it names one. */
  showServerError(err: unknown): void {
    const info = describeError(err);
    replace(this.formError, h("strong", null, info.message), info.hint ? h("div", { class: "pxw-sf-error-hint" }, info.hint) : null);
    this.formError.hidden = false;
    this.formError.dataset.code = info.code;
    this.fields?.showServerErrors(err);
    if (info.code === "invalid_name") {
      this.nameServer = info.message;
      this.validateName();
    }
  }

  dispose(): void {
    this.previewGrid.dispose();
  }

  // ---- transforms --------------------------------------------------------------------------------------------

  private async loadTransforms(): Promise<void> {
    const generation = ++this.generation;
    const after = this.after;
    this.stale = false;
    this.transforms = [];
    replace(this.transformSelect, h("option", { value: "" }, "Loading transforms…"));
    this.transformSelect.disabled = true;
    this.renderAbout(null);
    replace(this.paramsBox);
    this.fields = null;
    this.hidePreview();
    this.clearServerErrors();
    this.syncButtons();
    if (!after) {
      replace(this.transformSelect, h("option", { value: "" }, "Pick a stage first"));
      return;
    }
    try {
      const entries = await this.handlers.loadTransforms(after);
      if (generation !== this.generation) return;
      this.setTransforms(entries);
    } catch (err) {
      if (generation !== this.generation) return;
      this.stale = true;
      replace(this.transformSelect, h("option", { value: "" }, "Transforms could not be loaded"));
      this.showServerError(err);
      this.handlers.onError(err);
    }
  }

  private setTransforms(entries: TransformEntry[]): void {
    this.transforms = entries;
    const groups: HTMLElement[] = [];
    const known = new Set(GROUPS.map(([k]) => k));
    for (const [kind, label] of [...GROUPS, ...[...new Set(entries.map((e) => e.kind))].filter((k) => !known.has(k)).map((k) => [k, k] as [string, string])]) {
      const members = entries.filter((e) => e.kind === kind);
      if (!members.length) continue;
      const group = h("optgroup", { label });
      for (const e of members) group.appendChild(h("option", { value: e.name, title: e.description }, e.name));
      groups.push(group);
    }
    if (!entries.length) {
      replace(this.transformSelect, h("option", { value: "" }, "No transform fits"));
      this.transformSelect.disabled = true;
      const stage = this.stages.find((s) => s.id === this.after);
      replace(this.about, h("span", { class: "pxw-dim" }, `No registered transform can read the output of ${this.after}${stage?.output ? ` (${stage.output})` : ""}.`));
    } else {
      replace(this.transformSelect, ...groups);
      this.transformSelect.disabled = false;
      this.transformSelect.selectedIndex = 0;
      this.showTransform();
    }
    this.syncButtons();
  }

  private get transform(): TransformEntry | undefined {
    return this.transforms.find((t) => t.name === this.transformSelect.value);
  }

  private showTransform(): void {
    const t = this.transform;
    this.renderAbout(t ?? null);
    this.fields = t ? new ParamFields(t.params, () => this.markStale(), "This transform has no parameters.") : null;
    replace(this.paramsBox, this.fields?.el ?? null);
    if (t && !this.nameEdited) {
      this.nameInput.value = this.freeName(t.name);
      this.nameServer = "";
      this.validateName();
    }
    this.clearServerErrors();
    this.markStale();
    this.syncButtons();
  }

  private renderAbout(t: TransformEntry | null): void {
    this.kindBadge.hidden = !t;
    if (!t) {
      replace(this.about);
      return;
    }
    this.kindBadge.className = `pxw-sg-kind pxw-sf-kind pxw-sg-kind-${t.kind}`;
    replace(this.kindBadge, kindLabel(t.kind));
    const io = `${t.input_type || "?"} → ${t.kind === "filter" ? "same rows, fewer" : t.output_type || "?"}${t.output ? ` (${t.output})` : ""}`;
    replace(
      this.about,
      h("div", { class: "pxw-sf-desc" }, t.description || "(no description)"),
      h("div", { class: "pxw-sf-io" }, h("span", { class: "pxw-sf-io-tag" }, "reads → makes"), io),
      t.notes ? h("div", { class: "pxw-sf-notes" }, t.notes) : null,
    );
  }

  private freeName(base: string): string {
    const taken = new Set(this.stages.map((s) => s.id.toLowerCase()));
    if (!taken.has(base.toLowerCase())) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`.toLowerCase())) return `${base}_${i}`;
  }

  private nameProblem(): string {
    const name = this.nameInput.value.trim();
    if (!name) return "Required.";
    if (!NAME_PATTERN.test(name)) return "Use letters, digits and underscores, starting with a letter.";
    if (this.stages.some((s) => s.id.toLowerCase() === name.toLowerCase())) return `A stage named ${name} exists already.`;
    return "";
  }

  private validateName(): boolean {
    const problem = this.nameProblem();
    const shown = (this.nameTouched || this.nameInput.value !== "" ? problem : "") || this.nameServer;
    this.nameError.textContent = shown;
    this.nameError.hidden = !shown;
    this.nameInput.setAttribute("aria-invalid", String(Boolean(shown)));
    this.nameInput.classList.toggle("pxw-sf-input-invalid", Boolean(shown));
    return !problem;
  }

  private clearServerErrors(): void {
    this.formError.hidden = true;
    this.nameServer = "";
    this.fields?.clearServerErrors();
    this.validateName();
  }

  /** Every field checked and marked; the draft when all are acceptable, else null (nothing is sent). */
  private draft(): StageDraft | null {
    const t = this.transform;
    if (!t || !this.after) return null;
    const values = this.fields?.values() ?? { params: {}, firstBad: null };
    const params: Record<string, Json> = values.params;
    let firstBad: HTMLElement | null = values.firstBad;
    this.nameTouched = true;
    if (!this.validateName()) firstBad ??= this.nameInput;
    if (firstBad) {
      replace(this.formError, h("strong", null, "Fix the marked fields first."));
      this.formError.dataset.code = "client";
      this.formError.hidden = false;
      firstBad.focus();
      return null;
    }
    this.formError.hidden = true;
    return { after: this.after, transform: t.name, params, name: this.nameInput.value.trim() };
  }

  // ---- preview and add ---------------------------------------------------------------------------------------

  private async preview(): Promise<void> {
    const draft = this.draft();
    if (!draft) return;
    this.previewDraft = { ...draft, n: PREVIEW_ROWS };
    replace(
      this.previewTitle,
      h("strong", null, "Preview"),
      " of ",
      h("code", null, draft.name),
      h("span", { class: "pxw-dim" }, ` — ${draft.transform} after ${draft.after}, first rows only; nothing is written`),
    );
    this.previewSection.hidden = false;
    this.previewSection.classList.remove("pxw-sf-stale");
    await this.previewGrid.load({ offset: 0, order_by: null, filters: [], errors_only: false }, { reset: true });
  }

  private async fetchPreview(n: number): Promise<Reply<PageReply>> {
    const draft = this.previewDraft;
    if (!draft) throw new Error("Nothing to preview yet.");
    const reply = await this.handlers.preview({ ...draft, n });
    // A preview is a fixed sample: its headers do not sort.
    const columns = reply.payload.columns.map((c) => ({ ...c, sortable: false }));
    return { payload: { ...reply.payload, columns }, buffers: reply.buffers };
  }

  private highlightPreviewColumn(): void {
    const name = this.previewDraft?.name;
    if (!name) return;
    let th: HTMLElement | null = null;
    for (const el of Array.from(this.previewGrid.el.querySelectorAll<HTMLElement>("[data-column]"))) {
      const on = el.dataset.column === name;
      el.classList.toggle("pxw-stage-col", on);
      if (on && el.tagName === "TH") th = el;
    }
    // The new column is usually the last one: bring it into view.
    const scroller = this.previewGrid.el.querySelector<HTMLElement>(".pxw-grid-scroll");
    if (th && scroller && th.offsetLeft + th.offsetWidth > scroller.scrollLeft + scroller.clientWidth) {
      scroller.scrollLeft = Math.max(0, th.offsetLeft + th.offsetWidth - scroller.clientWidth + 16);
    }
  }

  private async add(): Promise<void> {
    if (this.adding) return;
    const draft = this.draft();
    if (!draft) return;
    this.clearServerErrors();
    await this.handlers.add(draft);
  }

  private hidePreview(): void {
    this.previewDraft = null;
    this.previewSection.hidden = true;
    this.previewGrid.clear();
  }

  /** The preview on screen no longer matches the form. */
  private markStale(): void {
    if (!this.previewSection.hidden) this.previewSection.classList.add("pxw-sf-stale");
  }

  private syncButtons(): void {
    const ready = Boolean(this.transform && this.after);
    this.previewBtn.disabled = !ready;
    this.addBtn.disabled = !ready || this.adding;
    this.nameInput.disabled = !ready;
  }
}
