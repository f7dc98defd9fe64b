// The message shapes of PatternHub. Mirrors the TypedDicts of pxwidgets/panels/pattern_hub.py: keep both in step
// (tests/protocol/test_contract_agreement.py checks names and fields).

import type { Json, ParamSpec } from "../lib/contract";

export type PatternKind = "pipeline" | "consensus" | "cascade" | "evaluation" | "experiment";

/** One pattern as the hub lists it. */
export interface HubPattern {
  key: string;
  kind: PatternKind | string;
  name: string;
  path: string;
  dir: string;
  owns: string[];
  reads: string[];
  rows: Record<string, number | null>;
  version: number | null;
  changed_at: number | null;
  changed_table: string | null;
  problems: string[];
  adopted: boolean;
  summary: string;
  panel: string;
}

/** A node of the cross-pattern lineage: a pattern, or a table some pattern reads. */
export interface HubNode {
  id: string;
  label: string;
  kind: "pattern" | "table" | string;
  pattern_kind: string | null;
  path: string;
}

export interface HubEdge {
  source: string;
  target: string;
}

export interface HubLineage {
  nodes: HubNode[];
  edges: HubEdge[];
}

export interface HubCatalogReply {
  dir: string | null;
  patterns: HubPattern[];
  lineage: HubLineage;
  fingerprint: string;
  tables: number;
  elapsed_ms: number;
}

export interface FingerprintReply {
  fingerprint: string;
}

export interface HubColumn {
  name: string;
  type: string;
}

export interface HubTable {
  path: string;
  kind: string;
  columns: HubColumn[];
}

export interface HubKind {
  kind: string;
  description: string;
}

export interface TablesReply {
  tables: HubTable[];
  kinds: HubKind[];
}

export interface FormRequest {
  table: string;
  kind: string;
}

export interface FormReply {
  table: string;
  kind: string;
  description: string;
  params: ParamSpec[];
}

export interface NewPatternRequest {
  table: string;
  kind: string;
  params: Record<string, Json>;
}

export interface PreviewReply {
  table: string;
  kind: string;
  code: string;
  writes: string[];
  notes: string[];
}

export interface HubOpenRequest {
  kind: string;
  path: string;
  name?: string;
}

/** A child panel opened inside the hub: what its view needs to render over a proxy model. */
export interface ChildReply {
  child: string;
  kind: string;
  panel: string;
  title: string;
  path: string;
  esm: string;
  css: string;
  state: Record<string, unknown>;
  buffer_paths: string[][];
}

export interface CreateReply {
  code: string;
  /** The new pattern's key in the catalog (HubPattern.key). */
  key: string;
  opened: ChildReply;
}

export interface CloseRequest {
  child: string;
}

export interface CloseReply {
  closed: boolean;
  open: string[];
}

/** A child's custom message, either way (JS → Python: its model.send; Python → JS: its send). */
export interface ChildMessage {
  type: "child-msg";
  child: string;
  content: unknown;
}

/** JS → Python: the child's save_changes (trait values set in the browser). */
export interface ChildSet {
  type: "child-set";
  child: string;
  state: Record<string, unknown>;
}

/** Python → JS: trait values the child changed in Python (bytes travel as buffers, at buffer_paths). */
export interface ChildState {
  type: "child-state";
  child: string;
  state: Record<string, unknown>;
  buffer_paths: string[][];
}

export const KIND_LABELS: Record<string, string> = {
  pipeline: "Pipeline",
  consensus: "Consensus",
  cascade: "Cascade",
  evaluation: "Evaluation",
  experiment: "Experiment",
  table: "Table",
};
