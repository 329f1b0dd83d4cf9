/**
 * Cross-category recommendation: three days after a purchase, in the local late morning, the
 * categories most associated with what the customer owns and does not own yet (mined association
 * rules), each with an example product fitting their price band, style and energy-efficiency
 * preference. Two weeks later, one more look — recomputed, so anything bought meanwhile drops out.
 * With nothing to recommend, the message is skipped.
 */
import type { LibraryJourney } from '../types';

const vars = { traits: [], event: [] };

export const crossCategoryRecommendation: LibraryJourney = {
  id: 'cross-category-recommendation',
  title: { en: 'Cross-category recommendation', 'zh-CN': '跨品类推荐' },
  summary: {
    en: 'After a purchase, recommends the categories most often owned together with what the customer has, filtered by their price band, style and energy-efficiency preference.',
    'zh-CN':
      '购买后，根据关联规则推荐与客户已有产品最常搭配、且客户尚未拥有的品类，并按价位、风格和节能偏好挑选示例产品。',
  },
  events: ['Order Completed'],
  definition: {
    name: 'Cross-category recommendation',
    description: 'Association-rule recommendations after a purchase, filtered by the customer’s tags and traits.',
    entry: { type: 'event', event: 'Order Completed' },
    reentry: { mode: 'cooldown', days: 30 },
    settings: { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '09:00' } },
    start: 'settle_in',
    steps: {
      settle_in: { type: 'wait', duration: { days: 3 }, next: 'late_morning' },
      late_morning: { type: 'wait', window: { start: '10:00', end: '12:00' }, next: 'picks' },
      picks: {
        type: 'send',
        channel: 'email',
        template: 'cross-category-picks',
        topic: 'recommendations',
        next: 'two_weeks',
      },
      two_weeks: { type: 'wait', duration: { days: 14 }, next: 'second_morning' },
      second_morning: { type: 'wait', window: { start: '10:00', end: '12:00' }, next: 'second_look' },
      second_look: {
        type: 'send',
        channel: 'email',
        template: 'cross-category-second-look',
        topic: 'recommendations',
        next: 'done',
      },
      done: { type: 'exit', reason: 'completed' },
    },
  },
  templates: {
    'cross-category-picks': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '和您的新家电最搭的，是这些',
          text: '您好！\n\n感谢您的选购，希望新产品已经用上手了。和您拥有相同产品的用户，常常还会搭配这些：\n\n{{#each recommendations}}· {{name}}：推荐 {{product.name}}{{#if product.price}}（¥{{product.price}}）{{/if}}\n{{/each}}\n我们按您的喜好挑选了示例款，更多型号欢迎到官方商城看看。',
        },
        en: {
          subject: 'What goes best with your new purchase',
          text: "Hello,\n\nThank you for your purchase — we hope you're enjoying it. People who own what you own often pair it with:\n\n{{#each recommendations}}- {{name}}: try the {{product.name}}{{#if product.price}} ({{product.price}} {{product.currency}}){{/if}}\n{{/each}}\nWe picked the examples to suit your taste; see every model in our official store.",
        },
      },
    },
    'cross-category-second-look': {
      channel: 'email',
      defaultLocale: 'zh-CN',
      variables: vars,
      locales: {
        'zh-CN': {
          subject: '为您的家再添一件好物？',
          text: '您好！\n\n上次为您挑选的搭配，这些还没入手：\n\n{{#each recommendations}}· {{name}}：{{product.name}}\n{{/each}}\n一起使用，体验更完整。',
        },
        en: {
          subject: 'One more thing for your home?',
          text: 'Hello,\n\nOf the pairings we suggested, these are still missing at home:\n\n{{#each recommendations}}- {{name}}: the {{product.name}}\n{{/each}}\nThey work even better together.',
        },
      },
    },
  },
};
