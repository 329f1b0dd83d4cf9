/** Signal-side handling of an event: dedupe, goals (exit at once), and the waitForEvent inbox. */
import { matchesFilter, sameEntryValues, type JourneyEvent } from '../../domain/journey/conditions';
import { addDuration } from '../../domain/time';
import { MAX_INBOX, MAX_SEEN_EVENT_IDS, type StepContext } from './context';

export function applyEvent(ctx: StepContext, event: JourneyEvent): void {
  const { state, definition, input } = ctx;
  if (state.exit || state.seenEventIds.includes(event.id)) return;
  state.seenEventIds.push(event.id);
  if (state.seenEventIds.length > MAX_SEEN_EVENT_IDS) state.seenEventIds.shift();

  // The entry event itself never counts as reaching the goal.
  const isEntry = event.id === input.entryEvent?.id;
  const goal =
    !isEntry &&
    definition.goals.find(
      (g) =>
        g.event === event.name &&
        matchesFilter(g.filter, event) &&
        (!g.matchEntry || sameEntryValues(g.matchEntry, input.entryEvent, event)),
    );
  if (goal) {
    const now = ctx.now();
    const window = definition.settings.goalWindow;
    const withinWindow = !window || now <= addDuration(new Date(state.enteredAt), window, definition.settings.timeZone);
    // One conversion per entry: the enrollment ends here, so it cannot count twice.
    if (goal.conversion && withinWindow) {
      state.converted = { goal: goal.id, at: now.toISOString() };
      state.exit = { status: 'converted', reason: `goal:${goal.id}`, at: now.toISOString() };
    } else {
      state.exit = {
        status: 'exited',
        reason: `${goal.conversion ? 'goal-late' : 'exit'}:${goal.id}`,
        at: now.toISOString(),
      };
    }
    return;
  }

  state.eventSeq += 1;
  state.inbox.push({ ...event, seq: state.eventSeq });
  if (state.inbox.length > MAX_INBOX) state.inbox.shift();
}
