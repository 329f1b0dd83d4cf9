/**
 * The history timeline over the real histories saved for replay tests (test/replay/histories):
 * what an operator reads for pauses, webhooks, profile updates, splits and a goal during a wait.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { renderHistory } from '../../../services/ops/history-timeline';
import type { EnrollmentResult } from '../../../workflows/contracts/enrollment';
import { historiesDir, loadHistory } from '../../setup/histories';

const events = (name: string) => loadHistory(readFileSync(`${historiesDir}/${name}.json`, 'utf8')).events;
const lines = (name: string, path?: EnrollmentResult['path']) =>
  renderHistory(events(name), path).map((e) => `${e.kind}: ${e.text}`.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<t>'));
/** The path the workflow returned (what the mirror row holds at the end). */
function resultPath(name: string): EnrollmentResult['path'] {
  const completed = events(name).find((e) => e.workflowExecutionCompletedEventAttributes)!;
  return defaultPayloadConverter.fromPayload<EnrollmentResult>(
    completed.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!,
  ).path;
}

describe('history timeline of saved enrollment histories', () => {
  it('a pause during the wait and the resume that releases the held send', () => {
    expect(lines('pause-resume')).toEqual([
      'entered: entered tomorrow v1',
      'step: step wait (wait)',
      'wait: waiting until <t>',
      'control: paused',
      'woke: woke (waited until <t>)',
      'step: step send (send)',
      'control: resumed',
      'send: sent email via template tomorrow',
      'step: step done (exit)',
      'completed: completed: completed',
    ]);
  });

  it('a goal event during a wait ends the wait early and converts', () => {
    const tail = lines('nurture-goal-during-wait').slice(-3);
    expect(tail).toEqual([
      'event: event order_completed received',
      'wait-ended: wait until <t> ended early',
      'completed: converted: goal:purchased',
    ]);
  });

  it('webhooks and profile updates in journey words', () => {
    expect(lines('branch-webhook')).toContain('webhook: webhook https://crm.example.com/hooks/owner answered 200');
    expect(lines('branch-update')).toContain('update: profile updated: stage loyalty; tags +vip');
  });

  it('with the path, branch and split steps show the way taken', () => {
    const path = resultPath('branch-split');
    expect(lines('branch-split', path)).toEqual([
      'entered: entered owners v1',
      `step: step who (branch) → ${path.find((p) => p.step === 'who')!.outcome}`,
      `step: step arms (split) → ${path.find((p) => p.step === 'arms')!.outcome}`,
      'step: step sendA (send)',
      'send: sent email via template a',
      'step: step done (exit)',
      'completed: completed: completed',
    ]);
    expect(path.find((p) => p.step === 'arms')!.outcome).toBe('a');
  });

  it('keeps event ids ascending and tags each entry with its step', () => {
    const timeline = renderHistory(events('nurture-complete'));
    const ids = timeline.map((e) => e.eventId);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(timeline.filter((e) => e.kind === 'send').map((e) => [e.step, e.details?.template])).toEqual([
      ['welcome', 'phone-welcome'],
      ['compare', 'phone-compare'],
      ['reviews', 'phone-reviews'],
      ['offer', 'phone-offer'],
    ]);
    expect(timeline.filter((e) => e.kind === 'woke')).toHaveLength(4);
  });
});
