/** The contract of the segment-refresh workflow (../segment-refresh.ts): input, summary, type name, schedule and ID. */
export interface SegmentRefreshInputV1 {
  v: 1;
  /** Only these segments; all of them when absent. */
  segmentIds?: string[];
}
export type SegmentRefreshInput = SegmentRefreshInputV1;

export interface SegmentRefreshSummary {
  refreshed: number;
  entered: number;
  left: number;
  enrollments: number;
  /** Segments whose refresh failed for good (e.g. a stored rule no longer valid); the rest still ran. */
  failed: { segmentId: string; message: string }[];
}

export const SEGMENT_REFRESH_WORKFLOW_TYPE = 'segmentRefreshWorkflow';
export type SegmentRefreshWorkflow = (input: SegmentRefreshInput) => Promise<SegmentRefreshSummary>;
export const SEGMENT_REFRESH_SCHEDULE_ID = 'perennial-segment-refresh';

/** For refreshes started outside the schedule (the schedule names its runs itself). */
export function segmentRefreshWorkflowId(key: string): string {
  return `segment-refresh/${key}`;
}
