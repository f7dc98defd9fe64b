// The ExperimentTimeline's message shapes (mirrors pxwidgets/panels/experiment_timeline.py): the timeline of runs
// or table versions, comparisons and row diffs, confirmed plans, snapshots.

import type { Cell, Json } from "../lib/contract";
import type { FigurePayload } from "../lib/chart";

export interface RunInfo {
  version: number;
  status: string;
  params: Record<string, Json>;
  metrics: Record<string, Json>;
  started_at: string | null;
  duration_s: number | null;
  result: string | null;
  tables: string[];
  error: string | null;
  promoted: boolean;
  latest: boolean;
  dropped: boolean;
}

export interface TableVersionInfo {
  version: number;
  created_at: string | null;
  change_type: string | null;
  inserts: number;
  updates: number;
  deletes: number;
  errors: number;
  schema_change: string | null;
}

export interface TimelineRequest {
  metric?: string | null;
}

export interface TimelineReply {
  /** "experiment" or "table". */
  mode: string;
  name: string;
  runs: RunInfo[];
  versions: TableVersionInfo[];
  current: number | null;
  metrics: string[];
  metric: string | null;
  figure: FigurePayload | null;
  /** How many successful versions cleanup keeps by default (experiments only). */
  keep: number | null;
  elapsed_ms: number;
}

export interface DiffColumnInfo {
  name: string;
  type_text: string;
  kind: string;
  is_media: boolean;
  compared: boolean;
  /** "both", "added", "removed" or "key". */
  status: string;
  note: string;
}

export interface DiffRowInfo {
  /** "added", "removed" or "changed". */
  change: string;
  key: Json[];
  changed: string[];
  before: Cell[] | null;
  after: Cell[] | null;
}

export interface DiffPage {
  a: number;
  b: number;
  added: number;
  removed: number;
  changed: number;
  total: number;
  changed_by_column: Record<string, number>;
  columns: DiffColumnInfo[];
  rows: DiffRowInfo[];
  offset: number;
  limit: number;
  elapsed_ms: number;
  notes: string[];
}

export interface DiffRequest {
  a: number;
  b: number;
  kind?: string | null;
  offset?: number;
  limit?: number;
}

export interface ParamDelta {
  name: string;
  a: Json;
  b: Json;
  same: boolean;
}

export interface MetricDelta {
  name: string;
  a: Json;
  b: Json;
  delta: number | null;
}

export interface SchemaColumn {
  name: string;
  type?: string;
  a?: string;
  b?: string;
}

export interface SchemaDiff {
  added: SchemaColumn[];
  removed: SchemaColumn[];
  changed: SchemaColumn[];
}

export interface CompareRequest {
  a: number;
  b: number;
}

export interface CompareReply {
  a: number;
  b: number;
  params: ParamDelta[];
  metrics: MetricDelta[];
  schema: SchemaDiff | null;
  rows_a: number | null;
  rows_b: number | null;
  diff: DiffPage | null;
  notes: string[];
}

export interface StepInfo {
  action: string;
  target: string;
  description: string;
  details: Record<string, Json>;
}

export interface PlanInfo {
  title: string;
  steps: StepInfo[];
  token: string;
  atomic: boolean;
  warnings: string[];
  text: string;
}

export interface KeptInfo {
  version: number;
  reason: string;
}

export type PlanAction = "cleanup" | "promote" | "unpromote" | "promote_drop" | "drop_version" | "revert";

export interface PlanRequest {
  action: string;
  version?: number;
  keep?: number;
  force?: boolean;
}

export interface PlanReply {
  plan: PlanInfo;
  kept: KeptInfo[];
}

export interface ExecuteRequest extends PlanRequest {
  token: string;
}

export interface ExecuteReply {
  title: string;
  done: StepInfo[];
  timeline: TimelineReply;
}

export interface SnapshotRequest {
  version: number;
  path?: string | null;
}

export interface SnapshotReply {
  path: string;
  timeline: TimelineReply;
}
