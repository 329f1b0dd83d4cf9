/** `perennial analytics`: journey results and the AIPL funnel. */
import type { Command } from 'commander';
import type { Funnel, JourneyStats, VersionStats } from '../../api/schemas/analytics';
import { query } from '../api';
import { money, pairs, percent, points, table, time } from '../format';
import { positiveInt, type Cli } from '../shared';

export function registerAnalytics(program: Command, { api, emit }: Cli): void {
  const analytics = program.command('analytics').description('journey results and the AIPL funnel');

  analytics
    .command('journey <id>')
    .description('per version: entered, active by step, exits, messages, conversions, revenue, split arms with uplift')
    .option('--version <n>', 'one version only', positiveInt)
    .action(async (id: string, options: { version?: number }) => {
      const body = await api().get<JourneyStats>(
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
      const body = await api().get<Funnel>(
        `/v1/analytics/funnel${query({ from: options.from, to: options.to, interval: options.interval })}`,
      );
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
}

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
