/**
 * A customer's history as the audience models read it: plain data, times as epoch milliseconds (the
 * models scan millions of rows; Date objects and ISO parsing would dominate). The worker builds it
 * from orders, owned_products and events; tests and benchmarks from the demo generator's rows.
 */

export interface PurchaseLine {
  sku: string;
  category: string;
  unitPriceCents: number | null;
  orderedAt: number;
}

export interface OwnedDevice {
  sku: string;
  category: string;
  purchasedAt: number;
}

export interface Touch {
  name: string;
  at: number;
  properties: Readonly<Record<string, unknown>>;
}

export interface CustomerHistory {
  id: string;
  timeZone: string | null;
  city: string | null;
  aiplStage: string | null;
  lines: readonly PurchaseLine[];
  devices: readonly OwnedDevice[];
  events: readonly Touch[];
}

/** What the models need of a catalog product. */
export interface CatalogProduct {
  sku: string;
  category: string;
  attributes: Readonly<Record<string, unknown>>;
}

export const messageChannels = ['email', 'sms', 'push', 'wechat'] as const;
export type MessageChannel = (typeof messageChannels)[number];

export interface Engagement {
  channel: MessageChannel;
  kind: 'opened' | 'clicked';
  at: number;
}

const ENGAGEMENT = /^(email|sms|push|wechat)_(opened|clicked)$/;

/** `email_opened`, `sms_clicked` … (the tracking endpoints' and providers' event names) as an engagement. */
export function engagementOf(touch: Touch): Engagement | null {
  const m = ENGAGEMENT.exec(touch.name);
  return m ? { channel: m[1] as MessageChannel, kind: m[2] as 'opened' | 'clicked', at: touch.at } : null;
}

export const DAY_MS = 86_400_000;
