/** The contract of the date-entry workflow (../date-entry.ts): input, type name, ID helper. */
export interface DateEntryInputV1 {
  v: 1;
  journeyId: string;
  /** The last local day ("YYYY-MM-DD") processed, carried across continue-as-new. */
  lastDay?: string;
}
export type DateEntryInput = DateEntryInputV1;

export const DATE_ENTRY_WORKFLOW_TYPE = 'dateEntryWorkflow';
export type DateEntryWorkflow = (input: DateEntryInput) => Promise<{ stopped: string }>;

export function dateEntryWorkflowId(journeyId: string): string {
  return `date-entry/${journeyId}`;
}
