// The TableBrowser's message shapes (mirrors the TypedDicts in pxwidgets/panels/table_browser.py).

import type { ColumnInfo } from "../lib/contract";

export interface ErrorCount {
  column: string;
  count: number;
}

/** What the header shows about the table on show. */
export interface InfoReply {
  path: string;
  kind: "table" | "view" | "snapshot" | string;
  version: number | null;
  comment: string | null;
  total_rows: number;
  columns: ColumnInfo[];
  error_counts: ErrorCount[];
  problems: string[];
}

export interface OpenRequest {
  path: string;
}

export interface CatalogEntry {
  path: string;
  kind: string;
}

export interface CatalogReply {
  tables: CatalogEntry[];
}

export interface VersionInfo {
  version: number;
  created_at: string;
  user: string | null;
  change_type: string;
  inserts: number;
  updates: number;
  deletes: number;
  errors: number;
  schema_change: string | null;
}

export interface HistoryReply {
  versions: VersionInfo[];
}
