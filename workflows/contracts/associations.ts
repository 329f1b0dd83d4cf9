/** The contract of the associations-refresh workflow (../associations.ts): input, type name, schedule and ID. */
import type { AssociationRefresh } from '../../domain/predictions/associations';

export interface AssociationsRefreshInputV1 {
  v: 1;
}
export type AssociationsRefreshInput = AssociationsRefreshInputV1;

export const ASSOCIATIONS_REFRESH_WORKFLOW_TYPE = 'associationsRefreshWorkflow';
export type AssociationsRefreshWorkflow = (input: AssociationsRefreshInput) => Promise<AssociationRefresh>;

export const ASSOCIATIONS_SCHEDULE_ID = 'perennial-associations-refresh';

/** On-demand runs: one at a time per deployment (its task queue). Scheduled runs get the schedule's IDs. */
export function associationsRefreshWorkflowId(taskQueue: string): string {
  return `associations-refresh/${taskQueue}`;
}
