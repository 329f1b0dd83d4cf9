/** The depletion wait's activity over the device depletion loader. */
import type { Db } from '../drizzle/client';
import { predictDeviceDepletion, type ConsumablePrediction } from '../services/devices/depletion';
import { survivorOf } from '../services/customers/merge';

export function createDepletionActivities({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    /** The predicted depletion of the consumable in the customer's device `serial`, now. */
    async predictConsumableDepletion(request: { customerId: string; serial: string }): Promise<ConsumablePrediction> {
      // The workflow may carry a customer id merged away since entry: devices moved to the survivor.
      const customerId = await survivorOf(db, request.customerId);
      const [device] = await predictDeviceDepletion(db, { customerId, serial: request.serial }, clock());
      if (!device)
        return { depletesAt: null, basis: 'unknown', confidence: 0, cycleStartedAt: null, consumableSku: null };
      const { prediction } = device;
      return {
        depletesAt: prediction.depletesAt,
        basis: prediction.basis,
        confidence: prediction.confidence,
        cycleStartedAt: device.cycleStartedAt,
        consumableSku: device.consumable.sku,
      };
    },
  };
}
