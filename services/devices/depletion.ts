/**
 * Predicted consumable depletion of a customer's devices, from what is stored: the device, the
 * consumable that fits it (catalog compatibility), when the current consumable's cycle started, and
 * the device's usage counter readings since. The arithmetic is the pure `predictDepletion`; this
 * only gathers its input, so the refill journey (an activity) and the profile API (a read) agree.
 *
 * A cycle starts when the device was installed (or bought), or later when the customer last bought
 * a compatible consumable, or when a `Consumable Replaced` event for the device's serial arrived.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../drizzle/client';
import { predictDepletion, type DepletionPrediction } from '../../domain/predictions';

export interface DeviceDepletion {
  ownedProductId: string;
  customerId: string;
  serial: string | null;
  deviceSku: string;
  category: string;
  consumable: {
    sku: string;
    name: string;
    category: string;
    ratedLifeDays: number | null;
    ratedUsage: number | null;
    usageMetric: string | null;
  };
  /** ISO instant the current consumable's life started. */
  cycleStartedAt: string;
  /** Readings of the usage metric in this cycle. */
  readings: number;
  prediction: DepletionPrediction;
}

/** Readings taken per device: the newest this many are plenty for a rate and bound the work. */
const MAX_READINGS = 500;

interface DeviceRow {
  owned_product_id: string;
  customer_id: string;
  serial: string | null;
  device_sku: string;
  category: string;
  consumable_sku: string;
  consumable_name: string;
  consumable_category: string;
  rated_life_days: number | null;
  rated_usage: number | null;
  usage_metric: string | null;
  cycle_started_at: Date | string;
}

/**
 * Every held (not disposed) device of the customer — or the one with `serial` — that takes a
 * consumable, with its prediction at `now`. A device with several compatible consumables gets the
 * first by SKU (catalogs list one cartridge type per device model).
 */
export async function predictDeviceDepletion(
  db: Db,
  target: { customerId: string; serial?: string },
  now: Date,
): Promise<DeviceDepletion[]> {
  const serialFilter = target.serial === undefined ? sql`` : sql`and d.serial = ${target.serial}`;
  const devices = rowsOf<DeviceRow>(
    await db.execute(sql`
      select distinct on (d.id)
        d.id as owned_product_id, d.customer_id, d.serial, d.sku as device_sku, d.category,
        c.sku as consumable_sku, c.name as consumable_name, c.category as consumable_category,
        c.rated_life_days, c.rated_usage, c.usage_metric,
        greatest(
          coalesce(d.installed_at, d.purchased_at, d.created_at),
          (select max(o.ordered_at) from orders o join order_lines l on l.order_id = o.id
            where o.customer_id = d.customer_id and l.sku = c.sku),
          (select max(e.occurred_at) from events e
            where e.customer_id = d.customer_id and e.name = 'Consumable Replaced' and d.serial is not null
              and (e.properties ->> 'serial') = d.serial)
        ) as cycle_started_at
      from owned_products d
      join consumable_compatibility cc on cc.device_sku = d.sku
      join products c on c.sku = cc.consumable_sku
      where d.customer_id = ${target.customerId} and d.disposed_at is null ${serialFilter}
      order by d.id, c.sku
    `),
  );
  const result: DeviceDepletion[] = [];
  for (const d of devices) {
    const cycleStartedAt = new Date(d.cycle_started_at);
    const readings =
      d.usage_metric === null
        ? []
        : rowsOf<{ read_at: Date | string; value: number }>(
            await db.execute(sql`
              select read_at, value from telemetry_readings
              where owned_product_id = ${d.owned_product_id} and metric = ${d.usage_metric} and read_at >= ${cycleStartedAt.toISOString()}
              order by read_at desc limit ${MAX_READINGS}
            `),
          ).map((r) => ({ at: new Date(r.read_at).toISOString(), value: Number(r.value) }));
    result.push({
      ownedProductId: d.owned_product_id,
      customerId: d.customer_id,
      serial: d.serial,
      deviceSku: d.device_sku,
      category: d.category,
      consumable: {
        sku: d.consumable_sku,
        name: d.consumable_name,
        category: d.consumable_category,
        ratedLifeDays: d.rated_life_days,
        ratedUsage: d.rated_usage === null ? null : Number(d.rated_usage),
        usageMetric: d.usage_metric,
      },
      cycleStartedAt: cycleStartedAt.toISOString(),
      readings: readings.length,
      prediction: predictDepletion({
        installedAt: cycleStartedAt.toISOString(),
        readings,
        ratedUsage: d.rated_usage === null ? null : Number(d.rated_usage),
        ratedLifeDays: d.rated_life_days,
        now: now.toISOString(),
      }),
    });
  }
  return result;
}

/** What a depletion wait needs to know: when (ISO), how sure, and which cycle and consumable it is about. */
export interface ConsumablePrediction {
  /** null when the device is gone or takes no consumable, or nothing can be predicted. */
  depletesAt: string | null;
  basis: DepletionPrediction['basis'];
  confidence: number;
  cycleStartedAt: string | null;
  consumableSku: string | null;
}
