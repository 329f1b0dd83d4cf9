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
