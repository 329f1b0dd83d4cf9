/**
 * Split arms from an enrollment's path. The split step notes `{ step, outcome: armId }`, or
 * `armId:holdout` for a holdout arm (workflows/steps/split.ts); the arm is the same for a customer
 * every time, so the first entry for the step is the arm.
 */
export interface PathEntry {
  step: string;
  at: string;
  outcome?: string;
}

export interface ArmAssignment {
  splitStep: string;
  arm: string;
  holdout: boolean;
}

const HOLDOUT_SUFFIX = ':holdout';

/** Parses a split step's path outcome (`control:holdout` → control, holdout). */
export function parseArmOutcome(outcome: string): { arm: string; holdout: boolean } {
  return outcome.endsWith(HOLDOUT_SUFFIX)
    ? { arm: outcome.slice(0, -HOLDOUT_SUFFIX.length), holdout: true }
    : { arm: outcome, holdout: false };
}

/** The split steps of a definition, in definition order. */
export function splitSteps(definition: { steps: Record<string, { type: string }> }): string[] {
  return Object.entries(definition.steps)
    .filter(([, step]) => step.type === 'split')
    .map(([id]) => id);
}

/** The arm an enrollment took at `splitStep`, or null when it never reached it. */
export function armOf(path: readonly PathEntry[], splitStep: string): ArmAssignment | null {
  const entry = path.find((p) => p.step === splitStep && p.outcome !== undefined);
  if (!entry?.outcome) return null;
  return { splitStep, ...parseArmOutcome(entry.outcome) };
}
