import { describe, expect, it } from 'vitest';
import * as bundle from '../../../workflows/index';
import { ASSOCIATIONS_REFRESH_WORKFLOW_TYPE } from '../../../workflows/contracts/associations';
import { DATE_ENTRY_WORKFLOW_TYPE } from '../../../workflows/contracts/date-entry';
import { ENROLLMENT_WORKFLOW_TYPE } from '../../../workflows/contracts/enrollment';
import { SEGMENT_REFRESH_WORKFLOW_TYPE } from '../../../workflows/contracts/segment-refresh';

// Callers start workflows by the type name in the contract; Temporal finds the body by its exported
// function name in the bundle. A rename on one side only would fail at run time, so check it here.
describe('workflow contracts', () => {
  it('name exactly the workflow types the bundle exports', () => {
    expect(Object.keys(bundle).sort()).toEqual(
      [
        ENROLLMENT_WORKFLOW_TYPE,
        DATE_ENTRY_WORKFLOW_TYPE,
        ASSOCIATIONS_REFRESH_WORKFLOW_TYPE,
        SEGMENT_REFRESH_WORKFLOW_TYPE,
      ].sort(),
    );
  });
});
