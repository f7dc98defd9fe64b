// The StageBuilder's message shapes (mirrors pxwidgets/panels/stage_builder.py): the pipeline graph, the transform
// registry entries a form is generated from, and the replies of add / drop / code.

import type { Json, PageRequest, ParamSpec, TransformEntry } from "../lib/contract";

export type StageKind = "source" | "iterator" | "filter" | "column";

export interface StageNode {
  /** The stage name (unique in the pipeline). */
  id: string;
  kind: StageKind | string;
  /** Path of the table or view that holds the stage's rows (column stages share their table's). */
  table: string;
  column: string | null;
  output: string | null;
  rows: number | null;
  errors: number | null;
  definition: string;
  transform: string | null;
  params: Record<string, Json>;
  managed: boolean;
  problem: string | null;
}

/** From the stage read to the stage reading it. */
export interface StageEdge {
  source: string;
  target: string;
}

export interface StageProblem {
  stage: string;
  problem: string;
  fix: string;
}

export interface GraphReply {
  root: string;
  head: string;
  nodes: StageNode[];
  edges: StageEdge[];
  problems: StageProblem[];
}

/** A page of one stage's rows. */
export interface StageRowsRequest extends PageRequest {
  stage: string;
}

export interface TransformsRequest {
  after?: string | null;
}

export interface TransformsReply {
  transforms: TransformEntry[];
}

/** What Preview and Add send: the new stage, after an existing one. */
export interface StageDraft {
  after: string;
  transform: string;
  params: Record<string, Json>;
  name: string;
}

export interface PreviewRequest extends StageDraft {
  n: number;
}

export interface AddReply {
  stage: StageNode;
  graph: GraphReply;
}

export interface StageRequest {
  stage: string;
}

export interface DropRequest {
  stage: string;
  expect: string[];
}

export interface DropPlanReply {
  plan: string[];
}

export interface DropReply {
  dropped: string[];
  graph: GraphReply;
}

export interface CodeRequest {
  stage?: string | null;
}

export interface CodeReply {
  code: string;
}

// ---- "Use this stage": another pattern on a stage's table (pxwidgets/patterns/compose) ----------------------------

export interface ComposePick {
  name: string;
  description: string;
  options: Record<string, string>[];
  default: string[];
  minimum: number;
}

export interface ComposeAction {
  action: string;
  label: string;
  description: string;
  pattern: string;
  panel: string;
  stage: string;
  table: string;
  available: boolean;
  reason: string | null;
  params: ParamSpec[];
  picks: ComposePick[];
}

export interface ComposeActionsReply {
  stage: string;
  actions: ComposeAction[];
}

export interface ComposeDraft {
  stage: string;
  action: string;
  values: Record<string, Json>;
}

export interface ComposePreviewReply {
  action: string;
  pattern: string;
  stage: string;
  table: string;
  target: string;
  values: Record<string, Json>;
  code: string;
  writes: string[];
  notes: string[];
  open_code: string;
}

export interface ComposeCreateReply {
  preview: ComposePreviewReply;
  pixeltable_code: string;
  graph: GraphReply;
}

export const KIND_LABELS: Record<string, string> = {
  source: "SOURCE",
  iterator: "ITER",
  filter: "FILTER",
  column: "COLUMN",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.toUpperCase();
}
