/** A journey drawn with @xyflow/react, with an equivalent step list for keyboard and screen-reader users. */
import { Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { journeyGraph, type StepCounts } from './graph';

type StepData = { label: string; detail: string; type: string; unreachable: boolean; count?: StepCounts };
type StepNode = Node<StepData, 'step'>;

function StepBox({ data }: NodeProps<StepNode>) {
  return (
    <div className={`step step-${data.type}${data.unreachable ? ' step-unreachable' : ''}`} data-testid="graph-node">
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="step-title">
        <span className="step-id">{data.label}</span>
        {data.count && data.type !== 'entry' ? (
          <span className="step-count" title={`${data.count.active} waiting at this step now`} data-count="active">
            {data.count.active} now
          </span>
        ) : null}
      </div>
      <div className="step-detail">{data.detail}</div>
      {data.count ? (
        <div className="step-counts">
          <span data-count="entered">{data.count.entered} entered</span>
          {data.type !== 'entry' ? <span data-count="passed">{data.count.passed} passed</span> : null}
        </div>
      ) : null}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { step: StepBox };

export function JourneyGraph({
  definition,
  counts,
  label,
}: {
  definition: unknown;
  counts?: Map<string, StepCounts>;
  label: string;
}) {
  const graph = useMemo(() => journeyGraph(definition), [definition]);
  const nodes: StepNode[] = graph.nodes.map((n) => {
    const count = counts?.get(n.id);
    return {
      id: n.id,
      type: 'step',
      position: { x: n.x, y: n.y },
      data: { label: n.label, detail: n.detail, type: n.type, unreachable: n.unreachable, ...(count ? { count } : {}) },
      draggable: false,
      connectable: false,
      focusable: false,
    };
  });
  const edges: Edge[] = graph.edges
    .filter((e) => !e.dangling)
    .map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      ...(e.label === undefined ? {} : { label: e.label }),
      markerEnd: { type: MarkerType.ArrowClosed },
      focusable: false,
    }));
  const dangling = graph.edges.filter((e) => e.dangling);
  return (
    <figure className="graph" aria-label={label}>
      <div className="graph-canvas" aria-hidden="true">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ padding: 0.15 }}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          proOptions={{ hideAttribution: true }}
          minZoom={0.2}
        />
      </div>
      <figcaption>
        <details>
          <summary>Steps as a list ({graph.nodes.length - 1})</summary>
          <ul className="step-list">
            {graph.nodes
              .filter((n) => n.type !== 'entry')
              .map((n) => (
                <li key={n.id}>
                  <code>{n.id}</code> — {n.detail}
                  {describeCounts(counts?.get(n.id))}
                  {n.unreachable ? ' (unreachable)' : ''}
                  {graph.edges
                    .filter((e) => e.source === n.id)
                    .map((e) => ` → ${e.label ? `${e.label}: ` : ''}${e.target}`)
                    .join(',')}
                </li>
              ))}
          </ul>
        </details>
        {dangling.length > 0 ? (
          <p className="error">Links to missing steps: {dangling.map((e) => `${e.source} → ${e.target}`).join(', ')}</p>
        ) : null}
      </figcaption>
    </figure>
  );
}

function describeCounts(c: StepCounts | undefined): string {
  return c ? ` (${c.entered} entered, ${c.passed} passed, ${c.active} waiting now)` : '';
}
