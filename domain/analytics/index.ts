export * from './proportions';
export * from './arms';
