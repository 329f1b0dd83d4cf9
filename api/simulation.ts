/**
 * POST /v1/journeys/:id/simulate: the journey's draft or a published version, for a stored
 * customer (read only) or a made-up profile, with a script of future events; answers the dated
 * schedule over the whole horizon. Nothing is delivered or written.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import type { Db } from '../drizzle/client';
import { customerIdentities, customers, ownedProducts } from '../drizzle/schema';
import { addressKindOf } from '../domain/messaging';
import { channels } from '../domain/journey/definition';
import { durationToMs } from '../domain/time';
import { SimulationInputError, type SimulatedCustomer, type Simulate } from '../simulation/simulate';
import { adminSecurity, RequestValidationError } from './http';
import type { createJourneyService } from '../services/journeys/lifecycle';
import type { JourneyDefinition } from '../domain/journey/definition';
import { adminErrors, errors } from './schemas/common';
import type { PublishCheck } from './schemas/journeys';
import { simulatedProfile as profile, simulation, simulationBody } from './schemas/simulation';

export const simulationRoutes: FastifyPluginAsyncZod<{
  db: Db;
  journeys: ReturnType<typeof createJourneyService>;
  simulate: Simulate;
}> = async (app, { db, journeys, simulate }) => {
  app.post(
    '/v1/journeys/:id/simulate',
    {
      schema: {
        tags: ['journeys'],
        security: adminSecurity,
        summary:
          'Simulate a journey on a time-skipping server: the dated schedule of steps and messages, nothing delivered',
        params: z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"') }),
        body: simulationBody,
        response: { 200: simulation, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      const target =
        body.version === undefined || body.version === 'draft'
          ? { version: 0, definition: await journeys.draftDefinition(id) }
          : await journeys.version(id, body.version);
      const customer = body.customerId
        ? await storedCustomer(db, body.customerId)
        : syntheticCustomer(profile.parse(body.profile ?? {}));
      if (!customer)
        return reply.code(404).send({ error: 'not_found', message: `customer ${body.customerId} not found` });
      try {
        const result = await simulate({
          journey: { id, version: target.version, definition: target.definition },
          customer,
          entryProperties: body.entry.properties,
          events: body.events.map((e) => ({ afterMs: durationToMs(e.after), name: e.name, properties: e.properties })),
          horizonDays: body.horizonDays,
          startAt: body.startAt,
        });
        return { simulation: result };
      } catch (error) {
        if (error instanceof SimulationInputError)
          throw new RequestValidationError([{ path: '$.body.startAt', message: error.message }]);
        throw error;
      }
    },
  );
};

function syntheticCustomer(p: z.infer<typeof profile>): SimulatedCustomer {
  return { customerId: randomUUID(), ...p };
}

async function storedCustomer(db: Db, customerId: string): Promise<SimulatedCustomer | null> {
  const [row] = await db.select().from(customers).where(eq(customers.id, customerId));
  if (!row) return null;
  const products = await db
    .select({ sku: ownedProducts.sku, category: ownedProducts.category })
    .from(ownedProducts)
    .where(and(eq(ownedProducts.customerId, customerId), isNull(ownedProducts.disposedAt)));
  const identities = await db
    .select({ kind: customerIdentities.kind, value: customerIdentities.value })
    .from(customerIdentities)
    .where(eq(customerIdentities.customerId, customerId));
  // As a real send reads it: the customer's (first) identity of the channel's kind.
  const addresses: SimulatedCustomer['addresses'] = {};
  for (const channel of channels) {
    const identity = identities.find((i) => i.kind === addressKindOf[channel]);
    if (identity) addresses[channel] = identity.value;
  }
  return {
    customerId,
    traits: row.traits,
    tags: row.tags,
    aiplStage: row.aiplStage,
    timeZone: row.timeZone,
    locale: row.locale,
    consent: row.consent,
    ownedProducts: products,
    eventCounts: {},
    addresses,
  };
}

export type { PublishCheck };

/**
 * Before publishing: the draft simulated for the most recently active stored customer (when there
 * is one) and a made-up one who consents to everything, in parallel. Skipped sends that point at a
 * broken journey (a template that fails to render or does not exist) come back as problems; a
 * simulation that throws fails the publish.
 */
export async function checkBeforePublish(
  db: Db,
  simulate: Simulate,
  journey: { id: string; definition: JourneyDefinition },
): Promise<PublishCheck> {
  const [recent] = await db.select({ id: customers.id }).from(customers).orderBy(desc(customers.updatedAt)).limit(1);
  const stored = recent ? await storedCustomer(db, recent.id) : null;
  const synthetic = syntheticCustomer(
    profile.parse({ traits: { firstName: 'Sample' }, timeZone: journey.definition.settings.timeZone }),
  );
  const samples = [synthetic, ...(stored ? [stored] : [])];
  const results = await Promise.all(
    samples.map((customer) =>
      simulate({
        journey: { id: journey.id, version: 0, definition: journey.definition },
        customer,
        events: [],
        horizonDays: 400,
      }),
    ),
  );
  return {
    samples: results.map((result, i) => ({
      customer: i === 0 ? 'synthetic' : result.customerId,
      outcome: result.outcome.status,
      messages: result.messages.filter((m) => m.status === 'would-send').length,
      problems: result.messages
        .filter((m) => m.status === 'skipped' && /^(render-failed|template-not-found)/.test(m.reason ?? ''))
        .map((m) => ({ step: m.step, reason: m.reason! })),
    })),
  };
}
