// The short label of each stage kind, as the graph and the form show it.

export const KIND_LABELS: Record<string, string> = {
  source: "SOURCE",
  iterator: "ITER",
  filter: "FILTER",
  column: "COLUMN",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.toUpperCase();
}

/** A stage's compute time ("unknown" where pxwidgets did not measure it: hand-made stages, other sessions). */
export function fmtSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "unknown";
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** An error rate as a percentage ("?" where it is unknown). */
export function fmtRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "?";
  if (rate > 0 && rate < 0.001) return "<0.1%";
  return `${(100 * rate).toFixed(rate >= 0.1 || rate === 0 ? 0 : 1)}%`;
}
