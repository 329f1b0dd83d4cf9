export { type Reading, type DepletionInput, type DepletionPrediction, predictDepletion } from './depletion';
export {
  type AssociationRule,
  type Associations,
  type CategoryStat,
  type MiningOptions,
  type Recommendation,
  mineAssociations,
  recommendCategories,
} from './associations';
export * from './history';
export * from './evaluation';
export * from './logistic';
export * from './tags';
export * from './features';
export * from './lookalike';
export * from './repurchase';
export * from './sendtime';
