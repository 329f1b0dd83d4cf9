/** Category display names shared by the library's copy, and the slug rule for ids built from categories. */

export type Bilingual = { en: string; 'zh-CN': string };

/** The demo brand's categories; other categories use their catalog name in both languages. */
export const categoryNames: Record<string, Bilingual> = {
  phone: { en: 'phone', 'zh-CN': '手机' },
  earbuds: { en: 'earbuds', 'zh-CN': '耳机' },
  watch: { en: 'smart watch', 'zh-CN': '智能手表' },
  tv: { en: 'TV', 'zh-CN': '电视' },
  fridge: { en: 'fridge', 'zh-CN': '冰箱' },
  washer: { en: 'washing machine', 'zh-CN': '洗衣机' },
  'air-conditioner': { en: 'air conditioner', 'zh-CN': '空调' },
  'water-purifier': { en: 'water purifier', 'zh-CN': '净水器' },
  'range-hood': { en: 'range hood', 'zh-CN': '油烟机' },
  vacuum: { en: 'robot vacuum', 'zh-CN': '扫地机器人' },
};

/** Category ids that can be part of a journey or template id (`lead-nurture-<category>`). */
export const categorySlug = /^[a-z0-9][a-z0-9-]{0,40}$/;
export const categorySlugMessage = 'a category id: lowercase letters, digits and "-" (max 41)';

export function displayName(category: string, catalogName?: string): Bilingual {
  return categoryNames[category] ?? { en: catalogName ?? category, 'zh-CN': catalogName ?? category };
}
