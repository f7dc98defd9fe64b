// Message shapes of the ConsensusGrid panel; mirrors the TypedDicts of pxwidgets/panels/consensus_grid.py
// (tests/protocol/test_contract_agreement.py checks that both sides agree).

import type { FigurePayload } from "../lib/chart";
import type { Json, TransformEntry } from "../lib/contract";

export interface ModelEntry {
  name: string;
  column: string;
  kind: string;
  marker: string;
  label_column: string | null;
  confidence_column: string | null;
  adopted: boolean;
  seconds_per_row: number | null;
  rows_timed: number | null;
  definition: string;
  computed: boolean;
}

export interface ConsensusInfo {
  path: string;
  name: string;
  input: string | null;
  kind: string | null;
  ground_truth: string | null;
  truth_column: string | null;
  options: Record<string, Json>;
  models: ModelEntry[];
  columns: Record<string, string>;
  rows: number;
  filters: string[];
}

export interface RowsRequest {
  filter?: string;
  model?: string | null;
  other?: string | null;
  order?: string;
  asc?: boolean;
  offset?: number;
  limit?: number;
}

export interface ImageRef {
  buffer: number;
  mime: string;
  width: number;
  height: number;
}

export interface ModelCellError {
  errortype: string;
  errormsg: string;
}

/** Detections as Pixeltable's detectors give them: boxes [x1, y1, x2, y2] in the original image's pixels. */
export interface Detections {
  bboxes: number[][];
  labels: Json[];
  scores?: number[];
  votes?: number[];
}

export interface ModelCell {
  label?: string | null;
  confidence?: number | null;
  detections?: Detections | null;
  error?: ModelCellError;
}

export interface ConsensusRow {
  index: number;
  image: ImageRef | null;
  image_error?: string;
  input_text?: string;
  models: Record<string, ModelCell>;
  consensus: Record<string, Json> | null;
  truth?: Json;
  weighted_label?: string | null;
  accuracy_weighted_label?: string | null;
  custom_label?: string | null;
}

export interface RowsReply {
  rows: ConsensusRow[];
  total: number | null;
  offset: number;
  limit: number;
  elapsed_ms: number;
  code: string;
}

export interface RowRequest extends RowsRequest {
  index: number;
}

export interface RowReply {
  row: ConsensusRow;
}

export interface SummaryReply {
  kind: string | null;
  metrics: Record<string, Json>[];
  best: string | null;
  best_metric: string;
  fleiss: number | null;
  fleiss_rows: number;
  groups: number;
  leaderboard: FigurePayload;
  kappa: FigurePayload | null;
  cost: FigurePayload;
  elapsed_ms: number;
}

export interface TransformsReply {
  transforms: TransformEntry[];
}

export interface PreviewRequest {
  transform: string;
  params?: Record<string, Json>;
  n?: number;
}

export interface PreviewRow {
  output: Json;
  error: string | null;
  label?: string | null;
  confidence?: number | null;
  boxes?: number | null;
}

export interface PreviewReply {
  rows: PreviewRow[];
  kind: string | null;
}

export interface AddRequest {
  name: string;
  transform: string;
  params?: Record<string, Json>;
}

export interface AddReply {
  model: ModelEntry;
  state: ConsensusInfo;
  code: string;
}

export interface RemovePlanRequest {
  model: string;
}

export interface PlanStepInfo {
  action: string;
  target: string;
  description: string;
  details: Record<string, Json>;
}

export interface RemovePlan {
  title: string;
  steps: PlanStepInfo[];
  token: string;
  atomic: boolean;
  warnings: string[];
  text: string;
}

export interface RemovePlanReply {
  plan: RemovePlan;
}

export interface RemoveRequest {
  model: string;
  token: string;
}

export interface RemoveReply {
  done: string[];
  state: ConsensusInfo;
  code: string;
}

export interface CodeReply {
  code: string;
  last: string;
}
