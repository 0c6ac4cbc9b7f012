import dagre from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import { formatNumber, t } from '../i18n.ts';
import type { FlowView, StepCounts } from './types.ts';

const WIDTH = 260;
const HEIGHT = 78;

/**
 * The flow as an SVG graph laid out by dagre, top to bottom: one box per step (with
 * data-step-id), red when validation found a problem in it, with its funnel: a bar as wide
 * as its share of the busiest step's entries, and its entered, answered, invalid, timed-out
 * and dropped counts.
 */
export function FlowGraph({
  graph,
  stats,
  selected,
  onSelect,
}: {
  graph: FlowView['graph'];
  stats: Record<string, StepCounts>;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const layout = useMemo(() => {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 40, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const node of graph.nodes) g.setNode(node.id, { width: WIDTH, height: HEIGHT });
    graph.edges.forEach((e, i) => g.setEdge(e.from, e.to, { label: e.label, width: e.label ? 40 : 0, height: e.label ? 14 : 0 }, `e${i}`));
    dagre.layout(g);
    return g;
  }, [graph]);
  const size = layout.graph() as { width?: number; height?: number };
  const top = Math.max(1, ...graph.nodes.map((n) => stats[n.id]?.entered ?? 0));
  return (
    <svg class="graph" width={size.width ?? 0} height={size.height ?? 0} viewBox={`0 0 ${size.width ?? 0} ${size.height ?? 0}`} role="img">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
        </marker>
      </defs>
      {layout.edges().map((e) => {
        const edge = layout.edge(e) as { points: { x: number; y: number }[]; label?: string; x?: number; y?: number };
        return (
          <g key={`${e.v}-${e.w}-${e.name}`} class="edge" data-from={e.v} data-to={e.w}>
            <polyline points={edge.points.map((p) => `${p.x},${p.y}`).join(' ')} fill="none" stroke="#57606a" marker-end="url(#arrow)" />
            {edge.label && (
              <text x={edge.x} y={edge.y} class="edge-label" text-anchor="middle">
                {edge.label}
              </text>
            )}
          </g>
        );
      })}
      {graph.nodes.map((node) => {
        const box = layout.node(node.id) as { x: number; y: number };
        const counts = stats[node.id];
        const x = box.x - WIDTH / 2;
        const y = box.y - HEIGHT / 2;
        const classes = ['node', node.type, node.errors.length ? 'has-errors' : '', selected === node.id ? 'selected' : ''].join(' ');
        return (
          <g key={node.id} class={classes} data-step-id={node.id} transform={`translate(${x},${y})`} onClick={() => onSelect(node.id)}>
            <title>{node.errors.join('\n')}</title>
            <rect width={WIDTH} height={HEIGHT} rx="8" />
            {counts && <rect class="funnel" x="0" y={HEIGHT - 6} height="6" width={(WIDTH * counts.entered) / top} />}
            <text x="10" y="22" class="node-id">
              {node.id}
            </text>
            <text x="10" y="42" class="node-type">
              {node.label}
              {node.errors.length ? ` ⚠ ${formatNumber(node.errors.length)}` : ''}
            </text>
            {counts && (
              <text x="10" y="60" class="node-stats">
                {[
                  `${formatNumber(counts.entered)} ${t('flow.entered')}`,
                  `${formatNumber(counts.answered)} ${t('flow.answered')}`,
                  `${formatNumber(counts.invalid)} ${t('flow.invalid')}`,
                  `${formatNumber(counts.timed_out)} ${t('flow.timedOut')}`,
                  `${formatNumber(counts.dropped)} ${t('flow.dropped')}`,
                ].join(' · ')}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
