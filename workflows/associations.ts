/**
 * Refreshes the category association rules; started by the `perennial-associations-refresh`
 * Temporal Schedule (daily) or on demand. One activity: the mining runs in Postgres.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AssociationsRefreshInput } from './contracts/associations';

const activities = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
});

export async function associationsRefreshWorkflow(_input: AssociationsRefreshInput) {
  return activities.refreshCategoryAssociations();
}
