/**
 * Consumable refill: one enrollment per installed device (keyed by its serial). The reminder goes
 * out 14 days before the consumable is predicted to run out — from the device's usage readings,
 * else its rated life — and moves when new readings change the prediction. If no new consumable
 * has been bought or fitted by the predicted day, a follow-up; a month after that, the journey
 * lets the device go. Buying or fitting one ends the cycle's reminders and starts the next cycle.
 */
import type { LibraryJourney } from '../types';

const vars = { traits: [], event: [] };

export const consumableRefill: LibraryJourney = {
  id: 'consumable-refill',
  title: { en: 'Consumable refill', 'zh-CN': '耗材续购提醒' },
  summary: {
    en: 'Reminds owners to reorder filters and other consumables two weeks before they run out, predicted from device telemetry (rated life as fallback); follows up on the day; one enrollment per device.',
    'zh-CN':
      '根据设备上报的用量预测滤芯等耗材的到期时间（无数据时按额定寿命），提前两周提醒续购，到期当天再跟进一次；每台设备独立运行。',
  },
  events: ['Product Installed', 'Telemetry Reported', 'Consumable Replaced', 'Order Completed', 'Product Disposed'],
  definition: {
    name: 'Consumable refill',
    description: 'Refill reminders timed by predicted consumable depletion, per device.',
    entry: { type: 'event', event: 'Product Installed', filter: [{ path: 'properties.serial', op: 'exists' }] },
    reentry: { mode: 'once' },
    concurrencyKey: ['properties.serial'],
    goals: [{ id: 'device-disposed', event: 'Product Disposed', matchEntry: ['properties.serial'], conversion: false }],
    settings: { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '09:00' } },
    start: 'until_low',
    steps: {
      until_low: { type: 'wait', depletion: { daysBefore: 14 }, onUnknown: 'no_device', next: 'reminder_morning' },
      reminder_morning: { type: 'wait', window: { start: '10:00', end: '12:00' }, next: 'reminder' },
      reminder: { type: 'send', channel: 'email', template: 'refill-reminder', topic: 'refills', next: 'until_empty' },
      until_empty: {
        type: 'wait',
        depletion: { daysBefore: 0 },
        onNewCycle: 'refilled',
        onUnknown: 'no_device',
        next: 'follow_up_morning',
      },
      follow_up_morning: { type: 'wait', window: { start: '10:00', end: '12:00' }, next: 'follow_up' },
      follow_up: {
        type: 'send',
        channel: 'email',
        template: 'refill-follow-up',
        topic: 'refills',
        next: 'until_lapsed',
      },
      until_lapsed: {
        type: 'wait',
        depletion: { daysBefore: -30 },
        onNewCycle: 'refilled',
        onUnknown: 'no_device',
        next: 'lapsed',
      },
      // A new consumable is in: the next cycle's reminder comes from its own prediction.
      refilled: { type: 'wait', duration: { days: 1 }, next: 'until_low' },
      lapsed: { type: 'exit', reason: 'no-refill' },
      no_device: { type: 'exit', reason: 'no-device' },
    },
  },
  templates: {
    'refill-reminder': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '您的滤芯大约两周后需要更换',
          text: '您好！\n\n根据设备最近的使用情况，您家里正在使用的滤芯预计两周左右就要到期了。滤芯超期使用会影响净化效果，建议现在就备好新滤芯，到货后自己几分钟即可更换。\n\n在官方商城或官方旗舰店搜索您的设备型号，就能找到匹配的原装滤芯。\n\n祝生活愉快！',
        },
        en: {
          subject: 'Your filter will need changing in about two weeks',
          text: "Hello,\n\nJudging by how your device has been used lately, its filter will reach the end of its life in about two weeks. A worn-out filter cleans less well, so now is a good time to order a replacement — it arrives before the old one is spent, and changing it takes a few minutes.\n\nSearch for your device's model in our official store to find the matching genuine filter.\n\nBest wishes",
        },
      },
    },
    'refill-follow-up': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '滤芯今天到期，记得更换哦',
          text: '您好！\n\n按照预测，您设备里的滤芯今天已经到达使用寿命。为了保证出水和空气的洁净，请尽快更换新的原装滤芯。\n\n如果您已经换好了，请忽略这封邮件——感谢您的细心！',
        },
        en: {
          subject: 'Your filter is due today',
          text: 'Hello,\n\nBy our estimate, the filter in your device has reached the end of its life today. To keep your water and air clean, please fit a new genuine filter soon.\n\nIf you have already changed it, please ignore this note — and thank you for looking after your device!',
        },
      },
    },
  },
};
