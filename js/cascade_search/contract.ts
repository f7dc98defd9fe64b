// Message shapes of the CascadeSearch panel; mirrors the TypedDicts of pxwidgets/panels/cascade_search.py
// (tests/protocol/test_contract_agreement.py checks that both sides agree).

import type { FigurePayload } from "../lib/chart";
import type { Json, ParamSpec } from "../lib/contract";

export interface NoRequest {}

export interface LevelInfo {
  name: string;
  path: string;
  splitter: { [key: string]: Json };
  embedding: string | null;
  lexical: boolean;
  nested: boolean;
  description: string;
  units: number;
  documents: number;
  mean_words: number;
}

export interface DocumentInfo {
  key: string;
  title: string;
  error: string | null;
}

export interface EmbeddingChoice {
  key: string;
  description: string;
}

export interface InfoReply {
  path: string;
  source: string;
  levels: LevelInfo[];
  documents: DocumentInfo[];
  problems: DocumentInfo[];
  splitter_params: ParamSpec[];
  embeddings: EmbeddingChoice[];
  queries: number;
  max_k: number;
}

export interface HitInfo {
  id: string;
  level: string;
  doc_key: string;
  doc_title: string;
  heading: string;
  text: string;
  kind: string;
  start: number;
  end: number;
  score: number;
  rank: number;
  query: string;
  children: HitInfo[];
}

export interface LevelHits {
  level: string;
  hits: HitInfo[];
  ms: number;
  embedding: string | null;
}

export interface UnitInfo {
  level: string;
  start: number;
  end: number;
  text: string;
  heading: string;
}

export interface ContextReply {
  doc_key: string;
  doc_title: string;
  chain: UnitInfo[];
  best: UnitInfo | null;
}

export interface SearchRequest {
  query: string;
  k?: number;
  levels?: string[] | null;
  documents?: string[] | null;
}

export interface SearchReply {
  query: string;
  levels: LevelHits[];
  fused: HitInfo[];
  merged: HitInfo[];
  fused_level: string | null;
  embed_ms: { [model: string]: number };
  total_ms: number;
  notes: string[];
  context: ContextReply | null;
}

export interface HitRef {
  level: string;
  doc_key: string;
  start: number;
  end: number;
  query: string;
}

export interface DrillRequest {
  hit: HitRef;
  level: string;
  k?: number;
}

export interface DrillReply {
  level: string;
  hits: HitInfo[];
  context: ContextReply | null;
}

export interface ContextRequest {
  hit: HitRef;
}

export interface AddLevelRequest {
  name: string;
  unit: string;
  size?: number | null;
  overlap?: number | null;
  embedding?: string | null;
  lexical?: boolean;
}

export interface AddLevelReply {
  level: LevelInfo;
  levels: LevelInfo[];
}

export interface EvaluateRequest {
  k?: number;
  levels?: string[] | null;
}

export interface MethodScores {
  method: string;
  recall: number;
  mrr: number;
  ndcg: number;
  queries: number;
}

export interface EvaluateReply {
  k: number;
  scores: MethodScores[];
  best: string | null;
  best_level: string | null;
  summary: string;
  latency_ms: { [level: string]: number };
  baseline_level: string | null;
  queries: number;
  figure: FigurePayload;
}
