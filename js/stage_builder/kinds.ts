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
