/**
 * Maintenance service, per installed device: an air conditioner gets a cleaning reminder every
 * year on May 1 at 09:30 local time, before the cooling season; a range hood gets one about every
 * three months (90 days), on the next weekend morning. Ends when the device is disposed of.
 */
import type { LibraryJourney } from '../types';

const vars = { traits: [], event: [] };

export const maintenanceService: LibraryJourney = {
  id: 'maintenance-service',
  title: { en: 'Maintenance service', 'zh-CN': '保养服务提醒' },
  summary: {
    en: 'Air-conditioner cleaning every year before the cooling season (May 1, local morning) and range-hood cleaning every three months on a weekend morning, per installed device.',
    'zh-CN': '空调每年入夏前（5 月 1 日上午）提醒清洗，油烟机每三个月在周末上午提醒清洁；每台设备独立运行。',
  },
  events: ['Product Installed', 'Product Disposed'],
  definition: {
    name: 'Maintenance service',
    description: 'Seasonal air-conditioner cleaning and periodic range-hood cleaning, in the customer’s local morning.',
    entry: {
      type: 'event',
      event: 'Product Installed',
      filter: [
        { path: 'properties.serial', op: 'exists' },
        { path: 'properties.category', op: 'in', value: ['air-conditioner', 'range-hood'] },
      ],
    },
    reentry: { mode: 'once' },
    concurrencyKey: ['properties.serial'],
    goals: [{ id: 'device-disposed', event: 'Product Disposed', matchEntry: ['properties.serial'], conversion: false }],
    settings: { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '08:00' } },
    start: 'which_device',
    steps: {
      which_device: {
        type: 'branch',
        branches: [
          {
            id: 'air-conditioner',
            when: [{ kind: 'attribute', path: 'entry.properties.category', op: 'eq', value: 'air-conditioner' }],
            next: 'until_season',
          },
        ],
        else: 'until_hood_due',
      },
      until_season: { type: 'wait', yearly: { month: 5, day: 1, at: '09:30' }, next: 'ac_cleaning' },
      ac_cleaning: {
        type: 'send',
        channel: 'email',
        template: 'ac-cleaning',
        topic: 'maintenance',
        next: 'until_season',
      },
      until_hood_due: { type: 'wait', duration: { days: 90 }, next: 'weekend_morning' },
      weekend_morning: {
        type: 'wait',
        window: { weekdays: [6, 7], start: '09:00', end: '11:00' },
        next: 'hood_cleaning',
      },
      hood_cleaning: {
        type: 'send',
        channel: 'email',
        template: 'range-hood-cleaning',
        topic: 'maintenance',
        next: 'until_hood_due',
      },
    },
  },
  templates: {
    'ac-cleaning': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '入夏前，给空调做个清洗吧',
          text: '您好！\n\n天气就要热起来了。空调闲置了一个冬天，滤网和蒸发器上容易积灰、滋生细菌，开机前清洗一次，制冷更快、更省电，吹出来的风也更干净。\n\n现在预约官方上门清洗服务，师傅会按您方便的时间上门。\n\n祝您清凉一夏！',
        },
        en: {
          subject: 'Get your air conditioner cleaned before summer',
          text: "Hello,\n\nWarm days are coming. After a winter off, dust and bacteria settle on an air conditioner's filters and coils; a cleaning before you switch it on makes it cool faster, use less power and blow cleaner air.\n\nBook an official cleaning visit now and our technician will come at a time that suits you.\n\nHave a cool summer!",
        },
      },
    },
    'range-hood-cleaning': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '油烟机该清洁啦',
          text: '您好！\n\n距离上次提醒已经三个月了，油烟机的滤网和油杯里积下的油污会让吸力变弱、噪音变大。趁周末花十分钟清洗一下滤网、倒掉油杯，厨房会清爽很多。\n\n不想自己动手？也可以预约官方深度清洗服务。',
        },
        en: {
          subject: 'Time to clean your range hood',
          text: "Hello,\n\nIt has been three months: grease building up in the range hood's filters and oil cup weakens its suction and makes it louder. Ten minutes this weekend — rinse the filters, empty the cup — and your kitchen will feel fresher.\n\nRather not do it yourself? Book an official deep-cleaning visit.",
        },
      },
    },
  },
};
