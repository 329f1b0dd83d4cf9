/** `perennial enrollments`: list, show, history, cancel. */
import type { Command } from 'commander';
import type {
  Cancelling,
  Enrollment,
  EnrollmentDetail,
  EnrollmentHistory,
  EnrollmentPage,
} from '../../api/schemas/enrollments';
import { query } from '../api';
import { pairs, table, time } from '../format';
import { collectPages, positiveInt, type Cli } from '../shared';

export function registerEnrollments(program: Command, { api, emit }: Cli): void {
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
              const page = await api().get<EnrollmentPage>(
                `/v1/enrollments${query({ ...filters, limit: 500, cursor })}`,
              );
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
      const body = await api().get<EnrollmentHistory>(`/v1/enrollments/${encodeURIComponent(id)}/history`);
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
      const body = await api().post<Cancelling>(`/v1/enrollments/${encodeURIComponent(id)}/cancel`, {
        reason: options.reason,
      });
      emit(body, () => `${body.enrollmentId}: ${body.status} (${body.reason})`);
    });
}
