/**
 * The maintenance-service library journey over 13–17 months on the time-skipping server, real
 * activities on Postgres, entries through the real router: an air conditioner's cleaning reminder
 * every May 1 at 09:30 in a DST zone (New York), a range hood's every 91 days on a Saturday 09:00
 * in Berlin across both DST changes — local mornings, whatever the UTC offset.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { createEnroller, enrollmentKeyFor } from '../../services/journeys/enroll';
import { events, messages, ownedProducts } from '../../drizzle/schema';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { addCivilDays, fromLocal, isoWeekday, toLocal, type CivilDate } from '../../domain/time';
import { maintenanceService } from '../../library/journeys/maintenance-service';
import { createEventRouter } from '../../worker/router';
import { enrollmentWorkflowId } from '../../workflows/contracts/enrollment';
import { emailCustomer, installLibraryJourney, recordingTransport, serverNow, untilIdle } from '../fixtures/library';
import {
  createTestDatabase,
  createTestWorker,
  createTimeSkippingEnv,
  eventually,
  uniqueTaskQueue,
} from '../setup/harness';

const DAY = 86_400_000;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let definition: JourneyDefinition;

beforeAll(async () => {
  db = await createTestDatabase();
  definition = await installLibraryJourney(db.db, maintenanceService);
});
afterAll(async () => db?.close());

const at = (date: CivilDate, hour: number, minute: number, zone: string) =>
  fromLocal({ ...date, hour, minute, second: 0, millisecond: 0 }, zone);
const localText = (d: Date, zone: string) => {
  const l = toLocal(d, zone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)} (${isoWeekday(l)})`;
};

describe('maintenance service over more than a year', () => {
  it('air conditioner: every May 1 at 09:30 New York time; range hood: every 91 days on Saturday 09:00 Berlin time, across DST', async () => {
    const env = await createTimeSkippingEnv();
    try {
      const start = new Date(await env.currentTimeMs());
      // Installed two days from now at 15:00 local.
      const berlinDay = addCivilDays(toLocal(start, 'Europe/Berlin'), 2);
      const hoodInstalled = at(berlinDay, 15, 0, 'Europe/Berlin');
      const acInstalled = at(addCivilDays(toLocal(start, 'America/New_York'), 2), 15, 0, 'America/New_York');
      // Expected: the next May 1 09:30 New York after installation, and the one a year later.
      const installedNy = toLocal(acInstalled, 'America/New_York');
      const firstYear = installedNy.month < 5 ? installedNy.year : installedNy.year + 1;
      const acExpected = [firstYear, firstYear + 1].map((year) =>
        at({ year, month: 5, day: 1 }, 9, 30, 'America/New_York'),
      );
      // At least 13 months, and past the second May 1.
      const horizon = new Date(Math.max(acInstalled.getTime() + 400 * DAY, acExpected[1]!.getTime() + 2 * DAY));
      await env.sleep(Math.max(hoodInstalled.getTime(), acInstalled.getTime()) - start.getTime());

      const ny = await emailCustomer(db.db, { timeZone: 'America/New_York', locale: 'en' });
      const berlin = await emailCustomer(db.db, { timeZone: 'Europe/Berlin', locale: 'zh-CN' });
      await db.db.insert(ownedProducts).values([
        { customerId: ny.id, sku: 'AC-1', category: 'air-conditioner', serial: 'AC-SN-1', installedAt: acInstalled },
        { customerId: berlin.id, sku: 'RH-1', category: 'range-hood', serial: 'RH-SN-1', installedAt: hoodInstalled },
      ]);

      const taskQueue = uniqueTaskQueue('maintenance');
      const transport = recordingTransport();
      const worker = await createTestWorker({
        connection: env.nativeConnection,
        taskQueue,
        activities: createActivities({
          db: db.db,
          transports: { email: transport },
          clock: serverNow,
          publicUrl: 'https://go.brand.example',
          messaging: { linkSecret: 'maintenance-test-link-secret-0123456789' },
        }),
      });
      const enroller = createEnroller({ db: db.db, temporal: env.client, taskQueue, clock: () => new Date() });
      const router = createEventRouter({ db: db.db, temporal: env.client, enroller });
      const installs = [
        {
          customerId: ny.id,
          properties: { serial: 'AC-SN-1', sku: 'AC-1', category: 'air-conditioner' },
          at: acInstalled,
        },
        {
          customerId: berlin.id,
          properties: { serial: 'RH-SN-1', sku: 'RH-1', category: 'range-hood' },
          at: hoodInstalled,
        },
        // Not a device this journey maintains: no enrollment.
        {
          customerId: berlin.id,
          properties: { serial: 'TV-SN-1', sku: 'TV-1', category: 'television' },
          at: hoodInstalled,
        },
      ];
      const handles = installs.slice(0, 2).map((i) =>
        env.client.workflow.getHandle(
          enrollmentWorkflowId(
            maintenanceService.id,
            i.customerId,
            enrollmentKeyFor(definition, {
              id: 'x',
              name: 'Product Installed',
              properties: i.properties,
              timestamp: '',
            })!,
          ),
        ),
      );

      // Expected: the first Saturday/Sunday 09:00 after the 90 days (installed at 15:00, so from day 91), then
      // every 91 days (a Saturday; 90 days from a Sunday is already a Saturday).
      let firstHood = addCivilDays(berlinDay, 91);
      while (![6, 7].includes(isoWeekday(firstHood))) firstHood = addCivilDays(firstHood, 1);
      const hoodExpected: Date[] = [];
      for (
        let d = firstHood;
        at(d, 9, 0, 'Europe/Berlin') < horizon;
        d = addCivilDays(d, hoodExpected.length === 1 && isoWeekday(firstHood) === 7 ? 90 : 91)
      ) {
        hoodExpected.push(at(d, 9, 0, 'Europe/Berlin'));
      }

      await worker.runUntil(async () => {
        for (const [k, install] of installs.entries()) {
          await db.db.insert(events).values({
            messageId: `install-${k}`,
            customerId: install.customerId,
            name: 'Product Installed',
            properties: install.properties,
            occurredAt: install.at,
          });
        }
        expect(await router.routeOnce()).toMatchObject({ routed: 3, entered: 2 });
        await untilIdle(handles);
        await env.sleep(horizon.getTime() - (await env.currentTimeMs()));
        await eventually(
          'every reminder up to the horizon',
          async () =>
            (await db.db.select().from(messages)).length >= acExpected.length + hoodExpected.length ? true : undefined,
          60_000,
        );
        for (const handle of handles) await handle.terminate('test over');
      });

      const sentTo = async (customerId: string) =>
        (
          await db.db
            .select()
            .from(messages)
            .where(eq(messages.customerId, customerId))
            .orderBy(asc(messages.createdAt))
        ).map((m) => ({ step: m.stepId, status: m.status, at: m.createdAt }));
      const acSends = await sentTo(ny.id);
      expect(acSends.map((s) => [s.step, s.status, localText(s.at, 'America/New_York')])).toEqual(
        acExpected.map((d) => ['ac_cleaning', 'sent', localText(d, 'America/New_York')]),
      );
      expect(acSends.every((s, i) => Math.abs(s.at.getTime() - acExpected[i]!.getTime()) < 60_000)).toBe(true);
      expect(acExpected.length).toBe(2);

      const hoodSends = await sentTo(berlin.id);
      expect(hoodSends.map((s) => [s.step, s.status, localText(s.at, 'Europe/Berlin')])).toEqual(
        hoodExpected.map((d) => ['hood_cleaning', 'sent', localText(d, 'Europe/Berlin')]),
      );
      expect(hoodSends.every((s, i) => Math.abs(s.at.getTime() - hoodExpected[i]!.getTime()) < 60_000)).toBe(true);
      // Over the year the Berlin offset changed (CET/CEST) yet every send is at 09:00 local.
      const offsets = new Set(hoodExpected.map((d) => toLocal(d, 'Europe/Berlin').hour - d.getUTCHours()));
      expect(offsets).toEqual(new Set([1, 2]));
      expect(hoodExpected.length).toBeGreaterThanOrEqual(5);
      expect(transport.sent.filter((m) => m.subject === 'Get your air conditioner cleaned before summer')).toHaveLength(
        2,
      );
      expect(transport.sent.filter((m) => m.subject === '油烟机该清洁啦')).toHaveLength(hoodExpected.length);
    } finally {
      await env.teardown();
    }
  });
});
