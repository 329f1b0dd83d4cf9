/**
 * Journey lifecycle: draft → published (immutable version N) → paused ⇄ published → archived
 * (→ unarchive: paused, or draft if never published).
 * Running enrollments keep the version they entered with; pausing holds their sends and new entries.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../../drizzle/client';
import { enrollments, journeys, journeyVersions, segments, templates } from '../../drizzle/schema';
import { validateJourney, type ValidationContext, type ValidationIssue } from '../../domain/journey/validate';
import type { JourneyDefinition } from '../../domain/journey/definition';
import { controlSignal } from '../../workflows/contracts/enrollment';
import {
  DATE_ENTRY_WORKFLOW_TYPE,
  dateEntryWorkflowId,
  type DateEntryWorkflow,
} from '../../workflows/contracts/date-entry';

export class JourneyError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid' | 'conflict',
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
  }
}

export function createJourneyService(deps: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  validationContext?: () => Promise<ValidationContext>;
}) {
  const { db } = deps;

  async function get(id: string) {
    const [journey] = await db.select().from(journeys).where(eq(journeys.id, id));
    if (!journey) throw new JourneyError('not_found', `journey ${id} not found`);
    return journey;
  }

  /**
   * Drafts may reference templates not written yet; publishing needs them to exist. Inside a
   * transaction, pass it as `reader`: PGlite has one connection, so a query on `db` would wait for
   * the transaction forever.
   */
  async function validate(definition: unknown, forPublish = false, reader: Pick<Db, 'select'> = db) {
    const context: ValidationContext = { ...(await deps.validationContext?.()) };
    if (forPublish)
      context.knownTemplates = new Set((await reader.select({ id: templates.id }).from(templates)).map((t) => t.id));
    if (forPublish)
      context.knownSegments = new Set((await reader.select({ id: segments.id }).from(segments)).map((s) => s.id));
    const result = validateJourney(definition, context);
    if (!result.ok) throw new JourneyError('invalid', 'the journey definition is invalid', result.issues);
    return result.definition;
  }

  /** Signals every running enrollment of the journey (pause/resume), from the mirror table. */
  async function broadcast(journeyId: string, action: 'pause' | 'resume') {
    const running = await db
      .select({ workflowId: enrollments.workflowId })
      .from(enrollments)
      .where(and(eq(enrollments.journeyId, journeyId), eq(enrollments.status, 'active')));
    await Promise.all(
      running.map(({ workflowId }) =>
        deps.temporal.workflow
          .getHandle(workflowId)
          .signal(controlSignal, { action })
          .catch(() => undefined),
      ),
    );
    return running.length;
  }

  /** Moves `from` → `to` in one conditional update, so two concurrent pauses (or a pause and a resume) cannot both win. */
  async function transition(id: string, from: 'published' | 'paused', to: 'published' | 'paused') {
    const [moved] = await db
      .update(journeys)
      .set({ status: to, updatedAt: sql`now()` })
      .where(and(eq(journeys.id, id), eq(journeys.status, from)))
      .returning({ id: journeys.id });
    if (moved) return;
    const journey = await get(id);
    const verb = to === 'paused' ? 'paused' : 'resumed';
    throw new JourneyError('conflict', `only a ${from} journey can be ${verb} (it is ${journey.status})`);
  }

  /** One date-entry workflow per journey; publishing again finds it running, which is fine. */
  async function startDateEntries(journeyId: string) {
    try {
      await deps.temporal.workflow.start<DateEntryWorkflow>(DATE_ENTRY_WORKFLOW_TYPE, {
        workflowId: dateEntryWorkflowId(journeyId),
        taskQueue: deps.taskQueue,
        args: [{ v: 1, journeyId }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    get,
    /** The draft as a definition (400 with JSON paths when it is not valid). */
    async draftDefinition(id: string): Promise<JourneyDefinition> {
      return validate((await get(id)).draft);
    },
    async list() {
      return db.select().from(journeys).orderBy(journeys.id);
    },
    async createDraft(id: string, definition: unknown) {
      const parsed = await validate(definition);
      const inserted = await db
        .insert(journeys)
        .values({ id, name: parsed.name, draft: definition })
        .onConflictDoNothing()
        .returning();
      if (inserted.length === 0) throw new JourneyError('conflict', `journey ${id} already exists`);
      return inserted[0]!;
    },
    async updateDraft(id: string, definition: unknown) {
      const journey = await get(id);
      if (journey.status === 'archived') throw new JourneyError('conflict', `journey ${id} is archived`);
      const parsed = await validate(definition);
      const [row] = await db
        .update(journeys)
        .set({ draft: definition, name: parsed.name, updatedAt: sql`now()` })
        .where(eq(journeys.id, id))
        .returning();
      return row!;
    },
    /**
     * Freezes the current draft as the next version and makes it the one new entries use. A paused
     * journey stays paused (its running enrollments were told to hold: only resume releases them).
     */
    async publish(id: string): Promise<{ version: number; definition: JourneyDefinition }> {
      const published = await db.transaction(async (tx) => {
        // Lock first, then check and validate what is locked: a concurrent archive or draft edit
        // cannot slip in between.
        const [locked] = await tx.select().from(journeys).where(eq(journeys.id, id)).for('update');
        if (!locked) throw new JourneyError('not_found', `journey ${id} not found`);
        if (locked.status === 'archived') throw new JourneyError('conflict', `journey ${id} is archived`);
        const definition = await validate(locked.draft, true, tx);
        const version = (locked.latestVersion ?? 0) + 1;
        await tx.insert(journeyVersions).values({ journeyId: id, version, definition });
        const status = locked.status === 'paused' ? 'paused' : 'published';
        await tx
          .update(journeys)
          .set({ latestVersion: version, status, updatedAt: sql`now()` })
          .where(eq(journeys.id, id));
        return { version, definition };
      });
      if (published.definition.entry.type === 'date') await startDateEntries(id);
      return published;
    },
    async pause(id: string) {
      await transition(id, 'published', 'paused');
      return { signalled: await broadcast(id, 'pause') };
    },
    async resume(id: string) {
      await transition(id, 'paused', 'published');
      return { signalled: await broadcast(id, 'resume') };
    },
    async archive(id: string) {
      await get(id);
      await db
        .update(journeys)
        .set({ status: 'archived', updatedAt: sql`now()` })
        .where(eq(journeys.id, id));
    },
    /**
     * Restores an archived journey. With a published version it comes back paused: its running
     * enrollments may have been paused before the archive, and only resume (which tells them)
     * makes it take new entries again. Never published: a draft.
     */
    async unarchive(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        const [locked] = await tx.select().from(journeys).where(eq(journeys.id, id)).for('update');
        if (!locked) throw new JourneyError('not_found', `journey ${id} not found`);
        if (locked.status !== 'archived') throw new JourneyError('conflict', `journey ${id} is not archived`);
        await tx
          .update(journeys)
          .set({ status: locked.latestVersion ? 'paused' : 'draft', updatedAt: sql`now()` })
          .where(eq(journeys.id, id));
      });
    },
    async versions(id: string) {
      return db
        .select()
        .from(journeyVersions)
        .where(eq(journeyVersions.journeyId, id))
        .orderBy(desc(journeyVersions.version));
    },
    async version(id: string, version?: number) {
      const journey = await get(id);
      const wanted = version ?? journey.latestVersion;
      if (!wanted) throw new JourneyError('conflict', `journey ${id} has no published version`);
      const [row] = await db
        .select()
        .from(journeyVersions)
        .where(and(eq(journeyVersions.journeyId, id), eq(journeyVersions.version, wanted)));
      if (!row) throw new JourneyError('not_found', `journey ${id} has no version ${wanted}`);
      return { journey, version: row.version, definition: row.definition };
    },
  };
}
export type JourneyService = ReturnType<typeof createJourneyService>;
