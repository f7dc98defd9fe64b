// The message contract between a panel's JavaScript side and its Python side.
// Mirrors pxwidgets/panels/contract.py: keep both in step.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Request {
  type: "request";
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  /** Put the reply's buffers into the message as base64 (for front ends that drop binary buffers). */
  inline?: boolean;
}

/** Per-field messages of a refused form (`details.params`). */
export interface ParamError {
  param: string;
  message: string;
}

/** A refused or failed command; the JavaScript never parses `message`: it reads `code` and `details`. */
export interface ErrorInfo {
  message: string;
  code: string;
  hint?: string;
  details?: { params?: ParamError[]; [key: string]: unknown };
}

export interface OkResponse<T = unknown> {
  type: "response";
  id: string;
  ok: true;
  payload: T;
  /** The buffers as base64, when the request asked for them inline (then none are sent as binary). */
  inline_buffers?: string[];
}

export interface ErrorResponse {
  type: "response";
  id: string;
  ok: false;
  error: ErrorInfo;
}

export interface Progress {
  type: "progress";
  id: string;
  done: number;
  total: number | null;
  message: string;
}

export type Incoming = OkResponse | ErrorResponse | Progress;

// ---- rows ----------------------------------------------------------------------------------------------------

export interface ColumnInfo {
  name: string;
  type: string;
  type_text: string;
  computed_with: string | null;
  is_stored: boolean;
  is_computed: boolean;
  sortable: boolean;
  problem: string | null;
}

export interface Overlay {
  column: string;
  boxes: [number, number, number, number][];
  labels: (string | number | null)[];
  scores: (number | null)[];
}

export interface Cell {
  kind:
    | "null"
    | "text"
    | "number"
    | "bool"
    | "timestamp"
    | "json"
    | "array"
    | "image"
    | "video"
    | "document"
    | "audio"
    | "error";
  value?: Json;
  truncated?: boolean;
  length?: number;
  buffer?: number;
  mime?: string;
  width?: number;
  height?: number;
  overlays?: Overlay[];
  shape?: number[];
  dtype?: string;
  summary?: string;
  errortype?: string;
  errormsg?: string;
  path?: string;
}

export interface PageReply {
  columns: ColumnInfo[];
  rows: Cell[][];
  offset: number;
  limit: number;
  /** null: still being counted (the grid then asks with a `count` request). */
  total: number | null;
  elapsed_ms: number;
  code: string;
}

export type FilterOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "startswith" | "is_null" | "not_null";

export interface Filter {
  column: string;
  op: FilterOp;
  value?: Json;
}

export interface OrderBy {
  column: string;
  asc: boolean;
}

export interface PageRequest {
  offset: number;
  limit: number;
  order_by: OrderBy | null;
  filters: Filter[];
  errors_only: boolean;
  /** Only these columns, in this order (default: all). */
  columns?: string[] | null;
}

/** The request of a command that takes no arguments. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NoPayload {}

export interface CountReply {
  total: number;
}

// ---- the transform registry (pxwidgets/patterns/common/registry.py): what a parameter form is generated from ----

export type ParamType = "int" | "float" | "bool" | "string" | "choice" | string;

export interface ParamSpec {
  name: string;
  type: ParamType;
  default: Json;
  description: string;
  minimum: number | null;
  maximum: number | null;
  exclusive_minimum: number | null;
  choices: string[] | null;
  nullable: boolean;
}

export type TransformKind = "iterator" | "column" | "filter";

export interface TransformEntry {
  name: string;
  description: string;
  kind: TransformKind | string;
  input_type: string;
  output: string | null;
  output_type: string | null;
  notes: string | null;
  source: string | null;
  builtin: boolean;
  params: ParamSpec[];
  json_schema: Record<string, unknown>;
}
