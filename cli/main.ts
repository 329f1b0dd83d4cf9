/**
 * `perennial`: the ops command line over the HTTP API. Tables for people; `--json` prints the API's
 * answer unchanged (shapes in docs/cli.md) for scripts. Exit codes: 0 ok, 1 the API refused (4xx/5xx)
 * or validation failed, 2 the API or a key could not be found.
 *
 *   npx tsx cli/main.ts enrollments list --journey phone-nurture --step wait1
 *   npm run perennial -- analytics journey phone-nurture --json
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { JourneyParseError, parseJourneyText, validateJourney } from '../domain/journey';
import type { VersionStats } from '../services/analytics/journeys';
import type { TimelineEntry } from '../services/ops/history-timeline';
import type { TimelineItem } from '../services/ops/customer-timeline';
import type { SimulationResult } from '../simulation/simulate';
import { ApiError, CliSetupError, createApi, query, type Api } from './api';
import { money, pairs, percent, points, table, time } from './format';
import { generateDemoData } from '../demo/generator';
import { migrate } from '../drizzle/migrate';
import { connectDatabase } from '../platform/connect';
import { databaseConfigFromEnv } from '../platform/env';

interface GlobalOptions {
  apiUrl: string;
  apiKey?: string;
  json?: boolean;
}

interface Journey {
  id: string;
  name: string;
  status: string;
  latestVersion: number | null;
  updatedAt: string;
}
interface Enrollment {
  id: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  workflowId: string;
  status: string;
  currentStep: string | null;
  nextWakeAt: string | null;
  path: { step: string; at: string; outcome?: string }[];
  enteredAt: string;
  exitedAt: string | null;
  exitReason: string | null;
  convertedAt: string | null;
}
interface EnrollmentPage {
  enrollments: Enrollment[];
  nextCursor: string | null;
}
interface EnrollmentDetail {
  enrollment: Enrollment;
  live: { stepId: string; nextWakeAt: string | null; paused: boolean } | null;
  messages: {
    stepId: string;
    occurrence: number;
    channel: string;
    templateId: string;
    status: string;
    reason: string | null;
    createdAt: string;
    sentAt: string | null;
  }[];
  temporalUiUrl: string;
}
interface TimelinePage {
  customerId: string;
  items: TimelineItem[];
  nextCursor: string | null;
}

const program = new Command('perennial')
  .description('Perennial ops: journeys, enrollments, customers and analytics over the HTTP API')
  .addOption(
    new Option('--api-url <url>', 'the Perennial API').env('PERENNIAL_API_URL').default('http://127.0.0.1:3000'),
  )
  .addOption(
    new Option('--api-key <key>', 'an admin key (default: .data/admin-key written by npm start)').env(
      'PERENNIAL_API_KEY',
    ),
  )
  .option('--json', 'print the API answer as JSON (stable shapes, see docs/cli.md)')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const api = (): Api => createApi(globals());
const out = (text: string) => process.stdout.write(`${text}\n`);
/** Prints `value` as JSON under --json, else the human rendering. */
function emit(value: unknown, human: () => string): void {
  out(globals().json ? JSON.stringify(value, null, 2) : human());
}
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/**
 * Pages through `fetchPage` until there is no next cursor (or `max` items), with a progress bar on
 * stderr when it is a terminal.
 */
async function collectPages<T>(
  label: string,
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  max: number,
): Promise<T[]> {
  const items: T[] = [];
  const bar = process.stderr.isTTY
    ? new SingleBar(
        { stream: process.stderr, format: `${label} {bar} {value} fetched`, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(1, 0);
  let cursor: string | undefined;
  try {
    do {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      bar?.setTotal(items.length + (cursor ? page.items.length : 0));
      bar?.update(items.length);
    } while (cursor && items.length < max);
  } finally {
    bar?.stop();
  }
  return items.slice(0, max);
}

// ---- journeys --------------------------------------------------------------------------------

/** A journey the API accepted with a remark (e.g. an event never seen): `warnings` of PUT and publish. */
interface JourneyWarning {
  path: string;
  message: string;
}
const describeWarning = (w: JourneyWarning) => `warning: ${w.path}: ${w.message}`;

const journeys = program
  .command('journeys')
  .description('list, validate, publish, pause, resume and unarchive journeys');

journeys
  .command('list')
  .description('all journeys')
  .action(async () => {
    const body = await api().get<{ journeys: Journey[] }>('/v1/journeys');
    emit(body, () =>
      table(
        ['id', 'name', 'status', 'version', 'updated'],
        body.journeys.map((j) => [j.id, j.name, j.status, j.latestVersion ?? '–', time(j.updatedAt)]),
      ),
    );
  });

journeys
  .command('validate <file>')
  .description('check a journey definition file (JSON or YAML) locally, with the JSON path of every issue')
  .action((file: string) => {
    const format = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? 'yaml' : 'json';
    let issues: { path: string; message: string }[];
    try {
      const result = validateJourney(parseJourneyText(readFileSync(file, 'utf8'), format));
      issues = result.ok ? [] : result.issues;
    } catch (error) {
      if (!(error instanceof JourneyParseError)) throw error;
      issues = [{ path: error.path, message: error.message }];
    }
    emit({ file, valid: issues.length === 0, issues }, () =>
      issues.length === 0
        ? `${file}: valid`
        : `${file}: ${issues.length} issue(s)\n${table(
            ['path', 'problem'],
            issues.map((i) => [i.path, i.message]),
          )}`,
    );
    if (issues.length > 0) process.exitCode = 1;
  });

journeys
  .command('publish <id>')
  .description('publish the draft as a new version (with --file: store the file as the draft first)')
  .option('-f, --file <file>', 'a definition file (JSON or YAML) to store as the draft before publishing')
  .action(async (id: string, options: { file?: string }) => {
    if (options.file) {
      const format = ['.yaml', '.yml'].includes(extname(options.file).toLowerCase()) ? 'yaml' : 'json';
      let definition: unknown;
      try {
        definition = parseJourneyText(readFileSync(options.file, 'utf8'), format);
      } catch (error) {
        if (!(error instanceof JourneyParseError)) throw error;
        process.stderr.write(`perennial: ${options.file}: ${error.path}: ${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      await api().put(`/v1/journeys/${encodeURIComponent(id)}`, definition);
    }
    const body = await api().post<{ id: string; version: number; warnings?: JourneyWarning[] }>(
      `/v1/journeys/${encodeURIComponent(id)}/publish`,
    );
    emit(body, () =>
      [`published ${body.id} version ${body.version}`, ...(body.warnings ?? []).map(describeWarning)].join('\n'),
    );
  });

journeys
  .command('simulate <id>')
  .description(
    'run the draft (or --version N) on a time-skipping server: the dated schedule of steps and messages, nothing delivered',
  )
  .option('--version <n>', 'a published version instead of the draft', (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a version number from 1');
    return n;
  })
  .option('--customer <id>', 'a stored customer (read only); default: a made-up profile')
  .option(
    '--profile <file>',
    'a JSON file with a made-up profile: traits, tags, aiplStage, timeZone, locale, consent, ownedProducts',
  )
  .option('--entry <json>', 'entry event properties as JSON, e.g. \'{"category":"phone"}\'')
  .option('--events <file>', 'a JSON file: [{ "after": { "days": 12 }, "name": "order_completed", "properties": {} }]')
  .option('--start-at <iso>', 'enter at this instant (not in the past)')
  .option('--horizon-days <n>', 'stop after this many days if still running', (raw) => Number(raw))
  .action(
    async (
      id: string,
      options: {
        version?: number;
        customer?: string;
        profile?: string;
        entry?: string;
        events?: string;
        startAt?: string;
        horizonDays?: number;
      },
    ) => {
      const readJson = (what: string, text: string) => {
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new InvalidArgumentError(`${what} is not JSON: ${(error as Error).message}`);
        }
      };
      const body = {
        ...(options.version ? { version: options.version } : {}),
        ...(options.customer ? { customerId: options.customer } : {}),
        ...(options.profile ? { profile: readJson(options.profile, readFileSync(options.profile, 'utf8')) } : {}),
        ...(options.entry ? { entry: { properties: readJson('--entry', options.entry) } } : {}),
        ...(options.events ? { events: readJson(options.events, readFileSync(options.events, 'utf8')) } : {}),
        ...(options.startAt ? { startAt: options.startAt } : {}),
        ...(options.horizonDays ? { horizonDays: options.horizonDays } : {}),
      };
      const { simulation } = await api().post<{ simulation: SimulationResult }>(
        `/v1/journeys/${encodeURIComponent(id)}/simulate`,
        body,
      );
      emit({ simulation }, () => {
        const rows: [string, string, string, string][] = [
          ...simulation.steps.map((s): [string, string, string, string] => [
            time(s.at),
            'step',
            s.step,
            s.outcome ?? '',
          ]),
          ...simulation.messages.map((m): [string, string, string, string] => [
            time(m.at),
            `${m.channel} ${m.status}`,
            m.step,
            m.status === 'would-send'
              ? (m.subject ?? m.text ?? '').slice(0, 60)
              : m.status === 'deferred'
                ? `until ${time(m.until)} (${m.reason})`
                : (m.reason ?? ''),
          ]),
          ...simulation.events.map((e): [string, string, string, string] => [
            time(e.at),
            'event',
            e.name,
            e.delivered ? 'delivered' : 'journey already over',
          ]),
        ].sort((a, b) => a[0].localeCompare(b[0]));
        return [
          `${simulation.journeyId} v${simulation.journeyVersion || 'draft'}: ${simulation.outcome.status} (${simulation.outcome.reason}) · ${time(simulation.startedAt)} → ${time(simulation.endedAt)} · simulated in ${(simulation.wallMs / 1000).toFixed(1)} s`,
          table(['when (UTC)', 'what', 'step / event', 'detail'], rows),
        ].join('\n');
      });
    },
  );

const actionDescriptions = {
  pause: 'hold every running enrollment at its next send',
  resume: 'release held sends',
  unarchive: 'restore an archived journey (paused if it has a published version, else a draft)',
};
for (const action of ['pause', 'resume', 'unarchive'] as const) {
  journeys
    .command(`${action} <id>`)
    .description(actionDescriptions[action])
    .action(async (id: string) => {
      const body = await api().post<{ id: string; status: string }>(`/v1/journeys/${encodeURIComponent(id)}/${action}`);
      emit(body, () => `${body.id}: ${body.status}`);
    });
}

// ---- enrollments -----------------------------------------------------------------------------

const enrollments = program.command('enrollments').description('find, inspect and cancel enrollments');

enrollments
  .command('list')
  .description('enrollments, newest first')
  .option('--journey <id>', 'journey id')
  .option('--version <n>', 'journey version', positiveInt)
  .option('--customer <uuid>', 'customer id')
  .option('--step <id>', 'current step')
  .option('--status <status>', 'active, completed, exited, converted, cancelled or failed')
  .option('--limit <n>', 'at most this many', positiveInt, 100)
  .option('--all', 'page through every match (progress on stderr)')
  .action(
    async (options: {
      journey?: string;
      version?: number;
      customer?: string;
      step?: string;
      status?: string;
      limit: number;
      all?: boolean;
    }) => {
      const filters = {
        journeyId: options.journey,
        version: options.version,
        customerId: options.customer,
        step: options.step,
        status: options.status,
      };
      let rows: Enrollment[];
      if (options.all) {
        rows = await collectPages(
          'enrollments',
          async (cursor) => {
            const page = await api().get<EnrollmentPage>(`/v1/enrollments${query({ ...filters, limit: 500, cursor })}`);
            return { items: page.enrollments, nextCursor: page.nextCursor };
          },
          Number.MAX_SAFE_INTEGER,
        );
      } else {
        rows = (
          await api().get<EnrollmentPage>(
            `/v1/enrollments${query({ ...filters, limit: Math.min(options.limit, 500) })}`,
          )
        ).enrollments;
      }
      emit(
        { enrollments: rows },
        () =>
          `${table(
            ['id', 'journey', 'v', 'customer', 'status', 'step', 'next wake-up', 'entered', 'exit reason'],
            rows.map((e) => [
              e.id,
              e.journeyId,
              e.journeyVersion,
              e.customerId,
              e.status,
              e.currentStep,
              time(e.nextWakeAt),
              time(e.enteredAt),
              e.exitReason,
            ]),
          )}\n${rows.length} enrollment(s)`,
      );
    },
  );

enrollments
  .command('show <id>')
  .description('one enrollment: where it is, until when, the path taken, messages sent or skipped')
  .action(async (id: string) => {
    const body = await api().get<EnrollmentDetail>(`/v1/enrollments/${encodeURIComponent(id)}`);
    emit(body, () => {
      const e = body.enrollment;
      return [
        pairs([
          ['enrollment', e.id],
          ['journey', `${e.journeyId} v${e.journeyVersion}`],
          ['customer', e.customerId],
          ['status', `${e.status}${body.live?.paused ? ' (paused)' : ''}`],
          ['current step', e.currentStep],
          ['next wake-up', time(e.nextWakeAt)],
          ['entered', time(e.enteredAt)],
          ['exited', e.exitedAt ? `${time(e.exitedAt)} (${e.exitReason ?? ''})` : ''],
          ['converted', time(e.convertedAt)],
          ['Temporal UI', body.temporalUiUrl],
        ]),
        'Path',
        table(
          ['at', 'step', 'outcome'],
          e.path.map((p) => [time(p.at), p.step, p.outcome]),
        ),
        'Messages',
        table(
          ['at', 'step', 'channel', 'template', 'status', 'reason'],
          body.messages.map((m) => [time(m.createdAt), m.stepId, m.channel, m.templateId, m.status, m.reason]),
        ),
      ].join('\n');
    });
  });

enrollments
  .command('history <id>')
  .description("the enrollment's workflow history as a timeline in journey terms")
  .action(async (id: string) => {
    const body = await api().get<{
      enrollmentId: string;
      workflowId: string;
      temporalUiUrl: string;
      timeline: TimelineEntry[];
    }>(`/v1/enrollments/${encodeURIComponent(id)}/history`);
    emit(
      body,
      () =>
        `${table(
          ['at', 'kind', 'step', 'what happened'],
          body.timeline.map((t) => [time(t.at), t.kind, t.step, t.text]),
        )}\nTemporal UI: ${body.temporalUiUrl}`,
    );
  });

enrollments
  .command('cancel <id>')
  .description('end an active enrollment now (status cancelled, with the reason)')
  .requiredOption('-r, --reason <reason>', 'why (kept as the exit reason)')
  .action(async (id: string, options: { reason: string }) => {
    const body = await api().post<{ enrollmentId: string; status: string; reason: string }>(
      `/v1/enrollments/${encodeURIComponent(id)}/cancel`,
      { reason: options.reason },
    );
    emit(body, () => `${body.enrollmentId}: ${body.status} (${body.reason})`);
  });

// ---- customers -------------------------------------------------------------------------------

const customers = program.command('customers').description("a customer's enrollments and timeline; erasure");

customers
  .command('show <id>')
  .description('the profile (when the API serves it) and every enrollment of the customer')
  .action(async (id: string) => {
    const client = api();
    const timeline = await client.get<TimelinePage>(
      `/v1/customers/${encodeURIComponent(id)}/timeline${query({ limit: 1 })}`,
    ); // 404 when unknown
    const profile = await client
      .get<{ customer: Record<string, unknown> }>(`/v1/customers/${encodeURIComponent(id)}`)
      .then(
        (body) => body.customer ?? body,
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        },
      );
    const list = await client.get<EnrollmentPage>(`/v1/enrollments${query({ customerId: id, limit: 500 })}`);
    emit({ customerId: timeline.customerId, profile, enrollments: list.enrollments }, () =>
      [
        `customer ${id}`,
        profile
          ? pairs(
              Object.entries(profile).map(([k, v]) => [
                k,
                typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string),
              ]),
            )
          : '(profile not served by this API)',
        'Enrollments',
        table(
          ['id', 'journey', 'v', 'status', 'step', 'entered', 'exit reason'],
          list.enrollments.map((e) => [
            e.id,
            e.journeyId,
            e.journeyVersion,
            e.status,
            e.currentStep,
            time(e.enteredAt),
            e.exitReason,
          ]),
        ),
      ].join('\n'),
    );
  });

customers
  .command('timeline <id>')
  .description('events, messages, entries and exits across all journeys, newest first')
  .option('--limit <n>', 'at most this many items', positiveInt, 50)
  .option('--all', 'every item (pages through, progress on stderr)')
  .action(async (id: string, options: { limit: number; all?: boolean }) => {
    const max = options.all ? Number.MAX_SAFE_INTEGER : options.limit;
    const items = await collectPages(
      'timeline',
      (cursor) =>
        api().get<TimelinePage>(
          `/v1/customers/${encodeURIComponent(id)}/timeline${query({ limit: Math.min(500, max), cursor })}`,
        ),
      max,
    );
    emit({ customerId: id, items }, () =>
      table(
        ['at', 'kind', 'journey', 'what happened'],
        items.map((i) => [time(i.at), i.kind, i.journeyId, i.text]),
      ),
    );
  });

customers
  .command('erase <id>')
  .description(
    'erase the customer: delete everything held about them, cancel their enrollments, keep only identity hashes (re-import refused without re-consent)',
  )
  .requiredOption(
    '-r, --reason <reason>',
    'why, without personal data (kept in the audit row), e.g. "GDPR request #1234"',
  )
  .action(async (id: string, options: { reason: string }) => {
    const body = await api().post<ErasureAnswer>(`/v1/customers/${encodeURIComponent(id)}/erase`, {
      reason: options.reason,
    });
    emit(body, () =>
      [
        `customer ${body.customerId} ${body.alreadyErased ? 'was already erased' : 'erased'} at ${time(body.erasedAt)} (${body.reason})`,
        table(
          ['deleted', 'rows'],
          Object.entries(body.counts).map(([k, v]) => [k, v]),
        ),
        body.pendingCancels.length > 0
          ? `${body.pendingCancels.length} enrollment(s) not reached in Temporal: run the command again`
          : `enrollments told to exit: ${body.enrollmentsSignalled}`,
      ].join('\n'),
    );
  });

interface ErasureAnswer {
  erasureId: string;
  customerId: string;
  mergedIds: string[];
  erasedAt: string;
  reason: string;
  counts: Record<string, number>;
  alreadyErased: boolean;
  enrollmentsSignalled: number;
  pendingCancels: string[];
}

// ---- analytics -------------------------------------------------------------------------------

const analytics = program.command('analytics').description('journey results and the AIPL funnel');

analytics
  .command('journey <id>')
  .description('per version: entered, active by step, exits, messages, conversions, revenue, split arms with uplift')
  .option('--version <n>', 'one version only', positiveInt)
  .action(async (id: string, options: { version?: number }) => {
    const body = await api().get<{ journeyId: string; versions: VersionStats[] }>(
      `/v1/analytics/journeys/${encodeURIComponent(id)}${query({ version: options.version })}`,
    );
    emit(
      body,
      () => body.versions.map((v) => renderVersion(body.journeyId, v)).join('\n\n') || `${id}: no published versions`,
    );
  });

analytics
  .command('funnel')
  .description('customers per AIPL stage and stage transitions per day or week')
  .option('--from <date>', 'ISO date or date-time (inclusive)')
  .option('--to <date>', 'ISO date or date-time (exclusive)')
  .option('--interval <day|week>', 'bucket size', 'day')
  .action(async (options: { from?: string; to?: string; interval: string }) => {
    const body = await api().get<{
      from: string;
      to: string;
      interval: string;
      stages: { stage: string | null; customers: number }[];
      transitions: { period: string; from: string | null; to: string; count: number }[];
    }>(`/v1/analytics/funnel${query({ from: options.from, to: options.to, interval: options.interval })}`);
    emit(body, () =>
      [
        'Customers by AIPL stage',
        table(
          ['stage', 'customers'],
          body.stages.map((s) => [s.stage ?? '(none)', s.customers]),
        ),
        `Transitions per ${body.interval}, ${time(body.from)} – ${time(body.to)}`,
        table(
          [body.interval, 'from', 'to', 'count'],
          body.transitions.map((t) => [t.period, t.from ?? '(new)', t.to, t.count]),
        ),
      ].join('\n'),
    );
  });

function renderVersion(journeyId: string, v: VersionStats): string {
  const window = v.goalWindow
    ? Object.entries(v.goalWindow)
        .map(([unit, n]) => `${n} ${unit}`)
        .join(' ')
    : 'none';
  const parts = [
    `${journeyId} v${v.version}`,
    pairs([
      ['entered', v.entered],
      ['active', v.active],
      ['conversions', `${v.conversions} (${percent(v.conversionRate)}) within goal window ${window}`],
      ['attributed revenue', `${money(v.revenue.cents)} from ${v.revenue.orders} order(s)`],
    ]),
  ];
  if (v.activeByStep.length)
    parts.push(
      'Active by step',
      table(
        ['step', 'count'],
        v.activeByStep.map((s) => [s.step, s.count]),
      ),
    );
  if (v.exits.length)
    parts.push(
      'Exits',
      table(
        ['status', 'reason', 'count'],
        v.exits.map((x) => [x.status, x.reason, x.count]),
      ),
    );
  if (v.messages.length)
    parts.push(
      'Messages',
      table(
        ['channel', 'status', 'count', 'resent'],
        v.messages.map((m) => [m.channel, m.status, m.count, m.resent]),
      ),
    );
  for (const split of v.splits) {
    parts.push(
      `Split ${split.step} (uplift against the holdout, 95% Newcombe interval)`,
      table(
        ['arm', 'entered', 'conversions', 'rate', 'uplift', '95% interval', 'relative', 'revenue'],
        split.arms.map((a) => [
          `${a.arm}${a.holdout ? ' (holdout)' : ''}`,
          a.entered,
          a.conversions,
          percent(a.rate),
          points(a.uplift),
          a.upliftInterval
            ? `${points(a.upliftInterval.low)} … ${points(a.upliftInterval.high)}${a.significant ? ' *' : ''}`
            : '–',
          percent(a.relativeUplift),
          money(a.revenueCents),
        ]),
      ),
    );
  }
  return parts.join('\n');
}

// ---- journey library -------------------------------------------------------------------------

interface LibraryListing {
  library: {
    id: string;
    title: { en: string; 'zh-CN': string };
    summary: { en: string; 'zh-CN': string };
    events: string[];
  }[];
}
interface LibraryInstall {
  id: string;
  journeys: { id: string; version: number; published: boolean }[];
  templates: { id: string; version: number; saved: boolean }[];
}

const libraryCommand = program
  .command('library')
  .description('proven journeys to install: lead nurture, extended warranty, …');

libraryCommand
  .command('list')
  .description('the journey library, with titles in English and Chinese')
  .action(async () => {
    const body = await api().get<LibraryListing>('/v1/library');
    emit(body, () =>
      table(
        ['id', 'title', '标题', 'events'],
        body.library.map((e) => [e.id, e.title.en, e.title['zh-CN'], e.events.join(', ')]),
      ),
    );
  });

libraryCommand
  .command('install <id>')
  .description('save its templates and publish its journeys (again: publishes only what changed)')
  .option('--params <json>', 'install parameters as JSON, or @file, e.g. \'{"decisionWindows":{"phone":30}}\'')
  .action(async (id: string, options: { params?: string }) => {
    let parameters: unknown;
    if (options.params !== undefined) {
      const raw = options.params.startsWith('@') ? readFileSync(options.params.slice(1), 'utf8') : options.params;
      try {
        parameters = JSON.parse(raw);
      } catch (error) {
        throw new InvalidArgumentError(
          `--params is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const body = await api().post<LibraryInstall>(
      `/v1/library/${encodeURIComponent(id)}/install`,
      parameters === undefined ? {} : { parameters },
    );
    emit(body, () => {
      const journeys = table(
        ['journey', 'version', 'published'],
        body.journeys.map((j) => [j.id, j.version, j.published ? 'new version' : 'up to date']),
      );
      const saved = body.templates.filter((t) => t.saved).length;
      return `${journeys}\n${body.templates.length} templates (${saved ? `${saved} saved as new versions` : 'all up to date'})`;
    });
  });

// ---- demo data -------------------------------------------------------------------------------

const demo = program.command('demo').description('synthetic demo data, written straight into the database');

demo
  .command('generate')
  .description(
    'a deterministic brand: customers with identities, orders, devices, telemetry, leads (DATABASE_URL, else the PGlite of npm start while it is stopped)',
  )
  .requiredOption('--customers <n>', 'how many customers (1 to 1,000,000)', (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
      throw new InvalidArgumentError('an integer from 1 to 1,000,000');
    return n;
  })
  .option('--seed <n>', 'random seed', (raw) => Number(raw), 42)
  .option('--now <iso>', 'the generated history ends at this instant (default: now)')
  .action(async (options: { customers: number; seed: number; now?: string }) => {
    const config = databaseConfigFromEnv(process.env);
    // PGlite is one process's file: writing to it under a running `npm start` would corrupt it.
    if ('pgliteDir' in config) {
      const running = await fetch(new URL('/health', globals().apiUrl)).then(
        (r) => r.ok,
        () => false,
      );
      if (running)
        throw new CliSetupError(
          `npm start is running on ${config.pgliteDir}: stop it first, or set DATABASE_URL to a Postgres server`,
        );
    }
    const database = await connectDatabase(config).catch((error: unknown) => {
      throw new CliSetupError(error instanceof Error ? error.message : String(error));
    });
    try {
      await migrate(database);
      const bar =
        process.stderr.isTTY && !globals().json
          ? new SingleBar(
              { format: 'generating |{bar}| {value}/{total} customers · {eta_formatted} left', stream: process.stderr },
              Presets.shades_classic,
            )
          : undefined;
      bar?.start(options.customers, 0);
      const summary = await generateDemoData({
        db: database.db,
        customers: options.customers,
        seed: options.seed,
        now: options.now ? new Date(options.now) : undefined,
        onProgress: ({ done }) => bar?.update(done),
      });
      bar?.stop();
      emit(
        { summary, database: database.describe },
        () => `${pairs(Object.entries(summary))}\nwritten to ${database.describe}`,
      );
    } finally {
      await database.close();
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ApiError) {
    if (globals().json) process.stderr.write(`${JSON.stringify({ status: error.status, ...error.body })}\n`);
    else process.stderr.write(`perennial: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (error instanceof CliSetupError) {
    process.stderr.write(`perennial: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`perennial: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
