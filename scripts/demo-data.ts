/** Demo data for `npm start`: customers, templates, a published 41-day phone nurture, enrollments. Idempotent. */
import { eq } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { Db } from '../drizzle/client';
import { customerIdentities, customers, journeys, templates } from '../drizzle/schema';
import { createEnroller } from '../api/enroll';
import { createJourneyService } from '../api/journeys';
import type { JourneyDefinitionInput } from '../domain/journey/definition';

const DEMO_JOURNEY = 'phone-nurture-demo';

export const demoJourney: JourneyDefinitionInput = {
  name: 'Phone lead nurture (41-day decision window)',
  entry: { type: 'event', event: 'lead_captured', filter: [{ path: 'properties.category', op: 'eq', value: 'phone' }] },
  goals: [{ id: 'purchased', event: 'order_completed', matchEntry: ['properties.category'] }],
  settings: { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '08:00' }, goalWindow: { days: 41 } },
  start: 'welcome',
  steps: {
    welcome: { type: 'send', channel: 'email', template: 'phone-welcome', next: 'wait1' },
    wait1: { type: 'wait', duration: { days: 10 }, next: 'morning1' },
    morning1: { type: 'wait', window: { start: '09:00', end: '11:00' }, next: 'compare' },
    compare: { type: 'send', channel: 'email', template: 'phone-compare', next: 'stage' },
    stage: { type: 'update', aiplStage: 'interest', next: 'wait2' },
    wait2: { type: 'wait', duration: { days: 20 }, next: 'offer' },
    offer: { type: 'send', channel: 'email', template: 'phone-offer', next: 'wait3' },
    wait3: { type: 'wait', duration: { days: 11 }, next: 'done' },
    done: { type: 'exit', reason: 'decision-window-over' },
  },
};

const demoTemplates = [
  { id: 'phone-welcome', channel: 'email' as const, subject: 'Welcome, {{customer.firstName}}', text: 'Thanks for visiting our store, {{customer.firstName}}. Here is our phone line-up.' },
  { id: 'phone-compare', channel: 'email' as const, subject: 'Compare our phones', text: 'Still deciding, {{customer.firstName}}? Compare cameras, batteries and prices side by side.' },
  { id: 'phone-offer', channel: 'email' as const, subject: 'An offer for you', text: '{{customer.firstName}}, trade in your old phone this week for an extra discount.' },
];

const demoCustomers = [
  { firstName: 'Lin', email: 'lin@example.com', timeZone: 'Asia/Shanghai' },
  { firstName: 'Ana', email: 'ana@example.com', timeZone: 'Europe/Berlin' },
  { firstName: 'Sam', email: 'sam@example.com', timeZone: 'America/New_York' },
];

export async function seedDemo(deps: { db: Db; temporal: Client; taskQueue: string }): Promise<string> {
  const { db } = deps;
  const [existing] = await db.select().from(journeys).where(eq(journeys.id, DEMO_JOURNEY));
  if (existing) return `journey "${DEMO_JOURNEY}" (already loaded)`;

  await db.insert(templates).values(demoTemplates).onConflictDoNothing();
  const service = createJourneyService({ db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  await service.createDraft(DEMO_JOURNEY, demoJourney);
  const { version, definition } = await service.publish(DEMO_JOURNEY);
  const enroller = createEnroller({ db, temporal: deps.temporal, taskQueue: deps.taskQueue, clock: () => new Date() });

  for (const person of demoCustomers) {
    const [customer] = await db
      .insert(customers)
      .values({ traits: { firstName: person.firstName }, aiplStage: 'awareness', timeZone: person.timeZone, locale: 'en', consent: { channels: { email: true }, topics: {} } })
      .returning();
    await db.insert(customerIdentities).values({ kind: 'email', value: person.email, customerId: customer!.id }).onConflictDoNothing();
    const at = new Date().toISOString();
    await enroller.enter({
      journey: { id: DEMO_JOURNEY, version, definition, status: 'published' },
      customerId: customer!.id,
      event: { id: `demo:${customer!.id}`, name: 'lead_captured', properties: { category: 'phone', source: 'store-visit' }, timestamp: at },
    });
  }
  return `journey "${DEMO_JOURNEY}" v${version} with ${demoCustomers.length} enrolled customers`;
}
