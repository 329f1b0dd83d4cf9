/**
 * Which events concern a depletion wait: usage readings and replacements of its device (by serial),
 * and orders containing its consumable. Anything else the customer does leaves the wait alone, so a
 * customer with several devices does not make each device's enrollment recompute. Pure.
 */
import type { JourneyEvent } from './conditions';

export function concernsDevice(event: JourneyEvent, serial: string, consumableSku: string | null): boolean {
  const properties = event.properties;
  if (event.name === 'Telemetry Reported' || event.name === 'Consumable Replaced')
    return typeof properties.serial === 'string' && properties.serial.trim() === serial.trim();
  if (event.name !== 'Order Completed' || consumableSku === null || !Array.isArray(properties.products)) return false;
  return properties.products.some((line: unknown) => {
    if (typeof line !== 'object' || line === null) return false;
    const { sku, product_id: productId } = line as Record<string, unknown>;
    return String(sku ?? productId ?? '') === consumableSku;
  });
}
