// Message shapes of the DriftDashboard panel; mirrors the TypedDicts of pxwidgets/panels/drift_dashboard.py
// (tests/protocol/test_contract_agreement.py checks that both sides agree).

import type { FigurePayload } from "../lib/chart";
import type { Json, ParamSpec } from "../lib/contract";

export interface WindowInfo {
  bucket: number;
  label: string;
  rows: number;
  pending: number;
  labeled: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  alerts: number;
}

export interface AlertInfo {
  alert_id: string;
  bucket: number;
  window: string;
  statistic: string;
  column: string;
  value: number | null;
  threshold: number | null;
  message: string;
  raised_at: string;
}

export interface ReferenceInfo {
  kind: string;
  start?: string;
  end?: string;
  bucket?: number;
  path?: string;
  text: string;
}

export interface RefreshInfo {
  changed: number;
  removed: number;
  unchanged: number;
  alerts: number;
  unplaced: number;
  future: number;
  elapsed_ms: number;
}

export interface DashboardState {
  table: string;
  name: string;
  version: number;
  window: string;
  reference: ReferenceInfo;
  thresholds: Record<string, Json>;
  threshold_params: ParamSpec[];
  statistics: string[];
  statistic: string;
  windows: WindowInfo[];
  alerts: AlertInfo[];
  pending: number;
  metrics_figure: FigurePayload;
  drift_figure: FigurePayload;
  rows_figure: FigurePayload;
  refreshed: RefreshInfo | null;
  elapsed_ms: number;
}

export interface StateRequest {
  statistic?: string;
}

export interface ConfigureRequest {
  window?: string;
  reference?: Record<string, Json> | null;
  thresholds?: Record<string, Json>;
  statistic?: string;
}

export interface WindowRequest {
  bucket: number;
}

export interface ClassInfo {
  label: string;
  support: number;
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface WindowReply {
  bucket: number;
  label: string;
  rows: number;
  pending: number;
  labeled: number;
  figure: FigurePayload;
  classes: ClassInfo[];
  drift: Record<string, Record<string, Json>>;
}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface VersionRequest {}

export interface VersionReply {
  version: number;
}
