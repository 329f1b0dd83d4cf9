import { describe, expect, it } from 'vitest';
import { ENTRY_NODE, journeyGraph, stepCounts } from '../../../web/src/graph';
import { phoneNurture } from '../../fixtures/journeys';
import { consumableRefill } from '../../../library/journeys/consumable-refill';
import { maintenanceService } from '../../../library/journeys/maintenance-service';

describe('journey graph (console)', () => {
  it('draws one node per step plus the entry, and one edge per next', () => {
    const graph = journeyGraph(phoneNurture);
    expect(graph.nodes.map((n) => n.id)).toEqual([ENTRY_NODE, ...Object.keys(phoneNurture.steps)]);
    expect(graph.edges.map((e) => `${e.source}->${e.target}`)).toContain(`${ENTRY_NODE}->welcome`);
    expect(graph.edges).toHaveLength(Object.keys(phoneNurture.steps).length); // 9 steps, 8 nexts + the entry edge
    // A straight line: each step one row below the previous one.
    expect(graph.nodes.map((n) => n.y)).toEqual(graph.nodes.map((_, i) => i * 110));
  });

  it('labels outcomes, timeouts, branches, else and split arms, and spreads siblings across a row', () => {
    const graph = journeyGraph({
      name: 'x',
      entry: { type: 'event', event: 'lead' },
      start: 'ask',
      steps: {
        ask: {
          type: 'waitForEvent',
          event: 'reply',
          timeout: { days: 2 },
          outcomes: [{ id: 'yes', next: 'branch' }],
          onTimeout: 'split',
        },
        branch: {
          type: 'branch',
          branches: [{ id: 'vip', when: [{ path: 'tags', op: 'contains', value: 'vip' }], next: 'done' }],
          else: 'done',
        },
        split: {
          type: 'split',
          arms: [
            { id: 'a', weight: 90, next: 'done' },
            { id: 'control', weight: 10, next: 'done', holdout: true },
          ],
        },
        done: { type: 'exit' },
      },
    });
    const labels = graph.edges.map((e) => `${e.source}-${e.label ?? ''}->${e.target}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'ask-yes->branch',
        'ask-timeout->split',
        'branch-vip->done',
        'branch-else->done',
        'split-a (90)->done',
        'split-control (10) holdout->done',
      ]),
    );
    const row = graph.nodes.filter((n) => n.id === 'branch' || n.id === 'split');
    expect(row.map((n) => n.y)).toEqual([220, 220]);
    expect(row[0]!.x).not.toBe(row[1]!.x);
  });

  it('draws a draft that does not validate: missing targets are dangling, unlinked steps unreachable', () => {
    const graph = journeyGraph({
      start: 'a',
      steps: { a: { type: 'wait', next: 'nowhere' }, orphan: { type: 'exit' } },
    });
    expect(graph.edges.find((e) => e.source === 'a')).toMatchObject({ target: 'nowhere', dangling: true });
    expect(graph.nodes.find((n) => n.id === 'orphan')).toMatchObject({ unreachable: true });
    expect(journeyGraph('not json at all')).toEqual({
      nodes: [expect.objectContaining({ id: ENTRY_NODE })],
      edges: [],
    });
  });

  it('takes per-step counts from the analytics of one version, or sums every version', () => {
    const versions = [
      { version: 1, entered: 5, active: 1, steps: [{ step: 'wait', entered: 5, passed: 4, active: 1 }] },
      {
        version: 2,
        entered: 2,
        active: 2,
        steps: [
          { step: 'wait', entered: 2, passed: 0, active: 2 },
          { step: 'new', entered: 1, passed: 1, active: 0 },
        ],
      },
    ];
    expect(Object.fromEntries(stepCounts(versions, 2))).toEqual({
      [ENTRY_NODE]: { entered: 2, passed: 2, active: 0 },
      wait: { entered: 2, passed: 0, active: 2 },
      new: { entered: 1, passed: 1, active: 0 },
    });
    expect(Object.fromEntries(stepCounts(versions, 'all'))).toMatchObject({
      [ENTRY_NODE]: { entered: 7 },
      wait: { entered: 7, passed: 4, active: 3 },
    });
    expect(stepCounts(versions, 3).size).toBe(0);
  });

  it('draws the refill journey: depletion waits with their new-cycle and unknown links, described by their dates', () => {
    const graph = journeyGraph(consumableRefill.definition);
    const labels = graph.edges.map((e) => `${e.source}-${e.label ?? ''}->${e.target}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'until_empty-new cycle->refilled',
        'until_low-unknown->no_device',
        'until_low-->reminder_morning',
      ]),
    );
    expect(graph.nodes.find((n) => n.id === 'until_low')).toMatchObject({ detail: 'until 14d before depletion' });
    expect(journeyGraph(maintenanceService.definition).nodes.find((n) => n.id === 'until_season')).toMatchObject({
      detail: 'yearly 5/1 09:30',
    });
  });
});
