/**
 * Refreshes the category association rules; started by the `perennial-associations-refresh`
 * Temporal Schedule (daily) or on demand. One activity: the mining runs in Postgres.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export interface AssociationsRefreshInputV1 {
  v: 1;
}
export type AssociationsRefreshInput = AssociationsRefreshInputV1;

export const ASSOCIATIONS_SCHEDULE_ID = 'perennial-associations-refresh';

/** On-demand runs: one at a time per deployment (its task queue). Scheduled runs get the schedule's IDs. */
export function associationsRefreshWorkflowId(taskQueue: string): string {
  return `associations-refresh/${taskQueue}`;
}

const activities = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
});

export async function associationsRefreshWorkflow(_input: AssociationsRefreshInput) {
  return activities.refreshCategoryAssociations();
}
