/** What every fault run must show, whatever was injected. */
import { expect } from 'vitest';
import type { FaultReport } from './scenario';

export function expectExactlyOnce(report: FaultReport, context: string): void {
  const m = report.messages;
  // Every acknowledged event is stored once and routed.
  expect(report.events.acknowledged, context).toBe(report.customers * 2);
  expect(report.events.stored, context).toBe(report.events.acknowledged);
  expect(report.events.duplicates, context).toBe(0);
  expect(report.events.unrouted, context).toBe(0);
  // One enrollment per customer, and each one ran to its end.
  expect(report.enrollments.total, context).toBe(report.customers);
  expect(report.enrollments.customersWithOne, context).toBe(report.customers);
  expect(report.enrollments.completed, context).toBe(report.customers);
  // Every expected message delivered, none lost: an attempt that died mid-call is resent (the default
  // SMTP_UNCERTAIN_POLICY), so nothing stays uncertain. A second copy only ever carries the
  // Message-ID of the first (mailbox providers collapse it) and comes from a resent ledger row; no
  // message goes out under two Message-IDs.
  expect(m.differentIdDuplicates, context).toBe(0);
  expect(m.unaccounted, context).toBe(0);
  expect(m.lost, context).toBe(0);
  expect(m.uncertain, context).toBe(0);
  expect(m.ledger.sent ?? 0, context).toBe(m.expected);
  expect(m.received, context).toBe(m.expected + m.sameIdCopies);
  expect(m.sameIdCopies, context).toBeLessThanOrEqual(m.resent);
}
