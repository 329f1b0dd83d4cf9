/**
 * The simulator's consumable prediction: the device is the entry event's (`sku`, `serial`), the
 * consumable and its rated life come from the stored catalog, and the readings, replacements and
 * consumable orders are the scripted events delivered so far. The arithmetic is the real
 * `predictDepletion`, so a refill journey simulates with the dates production would compute.
 */
import { sql } from 'drizzle-orm';
import type { ConsumablePrediction } from '../services/devices/depletion';
import { rowsOf, type Db } from '../drizzle/client';
import type { JourneyEvent } from '../domain/journey/conditions';
import { concernsDevice } from '../domain/journey/depletion';
import { predictDepletion } from '../domain/predictions';

interface ConsumableRow {
  sku: string;
  rated_life_days: number | null;
  rated_usage: number | null;
  usage_metric: string | null;
}

const unknown: ConsumablePrediction = {
  depletesAt: null,
  basis: 'unknown',
  confidence: 0,
  cycleStartedAt: null,
  consumableSku: null,
};

export async function simulatedDepletion(
  db: Db,
  entry: { properties: Record<string, unknown>; timestamp: string },
  delivered: readonly JourneyEvent[],
  serial: string,
  now: Date,
): Promise<ConsumablePrediction> {
  const deviceSku = entry.properties.sku ?? entry.properties.product_id;
  if (typeof deviceSku !== 'string' && typeof deviceSku !== 'number') return unknown;
  if (delivered.some((e) => e.name === 'Product Disposed' && e.properties.serial === serial)) return unknown;
  const [consumable] = rowsOf<ConsumableRow>(
    await db.execute(sql`
      select c.sku, c.rated_life_days, c.rated_usage, c.usage_metric
      from consumable_compatibility cc join products c on c.sku = cc.consumable_sku
      where cc.device_sku = ${String(deviceSku)} order by c.sku limit 1`),
  );
  if (!consumable) return unknown;

  const installedAt =
    typeof entry.properties.installed_at === 'string' ? entry.properties.installed_at : entry.timestamp;
  const cycleStarts = delivered
    .filter((e) => e.name !== 'Telemetry Reported' && concernsDevice(e, serial, consumable.sku))
    .map((e) => Date.parse(e.timestamp));
  const cycleStartedAt = new Date(Math.max(Date.parse(installedAt), ...cycleStarts)).toISOString();
  const readings = delivered
    .filter(
      (e) =>
        e.name === 'Telemetry Reported' &&
        e.properties.serial === serial &&
        e.properties.metric === consumable.usage_metric &&
        typeof e.properties.value === 'number',
    )
    .map((e) => ({
      at: typeof e.properties.read_at === 'string' ? e.properties.read_at : e.timestamp,
      value: e.properties.value as number,
    }))
    .filter((r) => r.at >= cycleStartedAt);
  const prediction = predictDepletion({
    installedAt: cycleStartedAt,
    readings,
    ratedUsage: consumable.rated_usage === null ? null : Number(consumable.rated_usage),
    ratedLifeDays: consumable.rated_life_days,
    now: now.toISOString(),
  });
  return {
    depletesAt: prediction.depletesAt,
    basis: prediction.basis,
    confidence: prediction.confidence,
    cycleStartedAt,
    consumableSku: consumable.sku,
  };
}
