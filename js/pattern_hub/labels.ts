// How the hub names the pattern kinds (display only).

export const KIND_LABELS: Record<string, string> = {
  pipeline: "Pipeline",
  consensus: "Consensus",
  cascade: "Cascade",
  evaluation: "Evaluation",
  experiment: "Experiment",
  table: "Table",
};
