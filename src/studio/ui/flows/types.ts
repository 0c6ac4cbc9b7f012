/** The flows API's answers as the pages read them (src/studio/flows/routes.ts). */
export interface GraphNode {
  id: string;
  type: string;
  label: string;
  texts: { field: string; locales: Record<string, string> }[];
  options: Record<string, string[]>;
  settings: Record<string, string | number | boolean | null>;
  errors: string[];
}
export interface FlowView {
  yaml: string;
  valid: boolean;
  problems: string[];
  graph: { nodes: GraphNode[]; edges: { from: string; to: string; label: string }[]; errors: string[] };
}
export interface Version {
  number: number;
  status: 'draft' | 'live' | 'archived';
  createdAt: string;
  createdBy: string | null;
  note: string | null;
}
export interface FlowPageData extends FlowView {
  flow: { id: string; name: string; file: string; locales: string[] };
  version: Version | null;
}
export type StepCounts = Record<'entered' | 'answered' | 'invalid' | 'timed_out' | 'dropped' | 'completed', number>;
