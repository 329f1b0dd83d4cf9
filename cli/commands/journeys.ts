/** `perennial journeys`: list, validate, publish, simulate, pause, resume and unarchive. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { JourneyParseError, parseJourneyText, validateJourney } from '../../domain/journey';
import type { JourneyList, JourneyTransition, Published } from '../../api/schemas/journeys';
import type { Simulation } from '../../api/schemas/simulation';
import { table, time } from '../format';
import type { Cli } from '../shared';

/** A remark the API made on an accepted journey (e.g. an event never received), printed after the answer. */
const describeWarning = (w: { path: string; message: string }) => `warning: ${w.path}: ${w.message}`;

export function registerJourneys(program: Command, { api, emit }: Cli): void {
  const journeys = program
    .command('journeys')
    .description('list, validate, publish, pause, resume and unarchive journeys');

  journeys
    .command('list')
    .description('all journeys')
    .action(async () => {
      const body = await api().get<JourneyList>('/v1/journeys');
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
      const body = await api().post<Published>(`/v1/journeys/${encodeURIComponent(id)}/publish`);
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
    .option(
      '--events <file>',
      'a JSON file: [{ "after": { "days": 12 }, "name": "order_completed", "properties": {} }]',
    )
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
        const { simulation } = await api().post<Simulation>(`/v1/journeys/${encodeURIComponent(id)}/simulate`, body);
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
        const body = await api().post<JourneyTransition>(`/v1/journeys/${encodeURIComponent(id)}/${action}`);
        emit(body, () => `${body.id}: ${body.status}`);
      });
  }
}
