/** `perennial customers`: a customer's profile, enrollments and timeline; erasure. */
import type { Command } from 'commander';
import type { CustomerOne, Erasure } from '../../api/schemas/customers';
import type { CustomerTimeline, EnrollmentPage } from '../../api/schemas/enrollments';
import { ApiError, query } from '../api';
import { pairs, table, time } from '../format';
import { collectPages, positiveInt, type Cli } from '../shared';

export function registerCustomers(program: Command, { api, emit }: Cli): void {
  const customers = program.command('customers').description("a customer's enrollments and timeline; erasure");

  customers
    .command('show <id>')
    .description('the profile (when the API serves it) and every enrollment of the customer')
    .action(async (id: string) => {
      const client = api();
      const timeline = await client.get<CustomerTimeline>(
        `/v1/customers/${encodeURIComponent(id)}/timeline${query({ limit: 1 })}`,
      ); // 404 when unknown
      const profile = await client.get<CustomerOne>(`/v1/customers/${encodeURIComponent(id)}`).then(
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
          api().get<CustomerTimeline>(
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
      const body = await api().post<Erasure>(`/v1/customers/${encodeURIComponent(id)}/erase`, {
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
}
