export * from './definition';
export * from './validate';
export * from './conditions';
export * from './split';
export * from './event-names';
