export { type SendSchedule, nextAllowedSendTime, isDoNotDisturbDate, assertDoNotDisturbDates } from './schedule';
export {
  type FrequencyCaps,
  type CapLimits,
  type CapPeriod,
  type CapCheck,
  capPeriods,
  capWindowStart,
  applicableCaps,
  capExceeded,
  countInWindows,
} from './caps';
export { type RateLimit, type BucketState, fullBucket, takeToken } from './rate';
export {
  type SendDecision,
  type SendDecisionFacts,
  type SendDecisionRequest,
  type CountedSend,
  capCountedStatuses,
  resentReason,
  addressKindOf,
  decideSend,
  capCountSince,
  sendTimeZone,
} from './decide';
