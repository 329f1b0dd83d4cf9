/**
 * Date entries ("30 days before the warranty ends"): one workflow per journey with a `date`
 * entry. Every day at the entry's local time (brand zone) it enters the customers whose date
 * attribute, shifted by the offset, falls on that day. It stops when the journey is archived or
 * its latest version no longer has a date entry; a paused journey's days pass without entries.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nextDailyRun } from '../domain/time/daily';
import type { DateEntryInput } from './contracts/date-entry';

const activities = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

const DAYS_PER_RUN = 30; // keeps each run's history short

export async function dateEntryWorkflow(input: DateEntryInput): Promise<{ stopped: string }> {
  let lastDay = input.lastDay;
  for (let i = 0; i < DAYS_PER_RUN; i++) {
    const plan = await activities.dateEntryPlan({ journeyId: input.journeyId });
    if (plan.status === 'stop') return { stopped: plan.reason };
    const { day, runAt } = nextDailyRun(new Date(), plan.at, plan.timeZone, lastDay);
    await sleep(Math.max(0, runAt.getTime() - Date.now()));
    await activities.enterDueCustomers({ journeyId: input.journeyId, day });
    lastDay = day;
  }
  return continueAsNew<typeof dateEntryWorkflow>({ ...input, lastDay });
}
