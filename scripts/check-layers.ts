// Runs dependency-cruiser with .dependency-cruiser.cjs over the product folders and fails on any
// violation. Through the library API rather than the `depcruise` CLI: the CLI refuses Node 20,
// which package.json's engines still allow; the API runs fine on it.
import { createRequire } from 'node:module';
import { cruise, type ICruiseOptions } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as Pick<ICruiseOptions, 'ruleSet'> & {
  forbidden: NonNullable<ICruiseOptions['ruleSet']>['forbidden'];
  options: ICruiseOptions;
};
const folders = [
  'domain',
  'drizzle',
  'library',
  'workflows',
  'services',
  'platform',
  'activities',
  'api',
  'worker',
  'simulation',
  'scripts',
  'cli',
  'bench',
];
const result = await cruise(
  folders,
  { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, outputType: 'err' },
  undefined,
  { tsConfig: extractTSConfig('tsconfig.json') },
);
process.stdout.write(String(result.output));
process.exitCode = result.exitCode === 0 ? 0 : 1;
