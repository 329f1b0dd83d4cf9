// The bundle the worker loads: every workflow type, nothing else.
export { enrollmentWorkflow } from './enrollment';
export { dateEntryWorkflow } from './date-entry';
export { associationsRefreshWorkflow } from './associations';
export { segmentRefreshWorkflow } from './segment-refresh';
