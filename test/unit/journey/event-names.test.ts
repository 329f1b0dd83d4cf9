import { describe, it, expect } from 'vitest';
import { boundedEditDistance, closestNames, unknownEventWarnings } from '../../../domain/journey/event-names';
import { validateJourney } from '../../../domain/journey/validate';
import type { JourneyDefinition } from '../../../domain/journey/definition';
import { phoneNurture } from './fixtures';

function definition(): JourneyDefinition {
  const result = validateJourney(phoneNurture());
  if (!result.ok) throw new Error('fixture invalid');
  return result.definition;
}

describe('unknown event warnings', () => {
  it('says nothing when every entry, goal and waitForEvent event has been seen', () => {
    expect(unknownEventWarnings(definition(), ['lead_captured', 'order_completed', 'email_clicked'])).toEqual([]);
  });

  it('warns at each path of an unseen event, with the closest known names', () => {
    const known = ['Lead Captured', 'order_completed', 'Order Completed', 'email_click', 'Product Installed'];
    expect(unknownEventWarnings(definition(), known)).toEqual([
      {
        path: '$.entry.event',
        message: 'no "lead_captured" event has been received yet; closest known: "Lead Captured"',
      },
      {
        path: '$.steps.watch_click.event',
        message: 'no "email_clicked" event has been received yet; closest known: "email_click"',
      },
    ]);
  });

  it('suggests nothing when no known name is close', () => {
    expect(unknownEventWarnings(definition(), ['Product Installed', 'order_completed', 'email_clicked'])).toEqual([
      { path: '$.entry.event', message: 'no "lead_captured" event has been received yet' },
    ]);
  });

  it('orders suggestions by distance and ignores case and separators', () => {
    expect(closestNames('order_complete', ['Order Completed', 'order_completed', 'order_completion', 'x'])).toEqual([
      'Order Completed',
      'order_completed',
      'order_completion',
    ]);
    expect(boundedEditDistance('kitten', 'sitting', 3)).toBe(3);
    expect(boundedEditDistance('kitten', 'sitting', 2)).toBeUndefined();
  });
});
