/** The `webhook` step: POST JSON with an idempotency key; 4xx is permanent, 5xx and network errors retry. */
import { ApplicationFailure } from '@temporalio/activity';
import type { JourneyEvent } from '../domain/journey/conditions';
import type { ActivityDeps } from './deps';
import { createProfileActivities } from './profiles';
import { createRenderer } from '../services/messaging/render';

export interface WebhookRequest {
  url: string;
  bodyTemplate?: string;
  customerId: string;
  entryEvent?: JourneyEvent;
  idempotencyKey: string;
}

export function createWebhookActivities(deps: Pick<ActivityDeps, 'db' | 'clock'>) {
  const renderer = createRenderer();
  const profiles = createProfileActivities(deps);
  return {
    async callWebhook(r: WebhookRequest): Promise<{ status: number }> {
      const facts = await profiles.loadCustomerFacts({ customerId: r.customerId, eventCounts: [] });
      const context = {
        customer: { id: r.customerId, ...facts.traits, tags: facts.tags, aiplStage: facts.aiplStage },
        event: r.entryEvent?.properties ?? {},
      };
      const body = r.bodyTemplate
        ? renderer.render(r.bodyTemplate, context)
        : JSON.stringify({ customerId: r.customerId, event: r.entryEvent ?? null });
      const response = await fetch(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': r.idempotencyKey },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw ApplicationFailure.create({
          type: 'WebhookRejected',
          message: `${r.url} answered ${response.status}`,
          nonRetryable: true,
        });
      }
      if (!response.ok) throw new Error(`${r.url} answered ${response.status}`);
      return { status: response.status };
    },
  };
}
