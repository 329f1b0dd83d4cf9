// @ts-check
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

// Workflows run in Temporal's deterministic sandbox: no I/O libraries, no Node builtins.
const forbiddenInWorkflows = [
  { group: ['node:*'], message: 'Workflows are deterministic: no Node builtins. Use an activity.' },
  {
    group: [
      'drizzle-orm',
      'drizzle-orm/*',
      'postgres',
      '@electric-sql/*',
      'nodemailer',
      'nodemailer/*',
      'handlebars',
      'fastify',
      'pino',
    ],
    message: 'Workflows do no I/O: call an activity.',
  },
  {
    group: ['**/activities/*', '**/activities', '**/drizzle/*', '**/api/*', '**/worker/*'],
    allowTypeImports: true,
    message: 'Workflows import activity *types* only.',
  },
];
const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.cache/', 'dist/', 'drizzle/migrations/', 'web/dist/', 'coverage/'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '.dependency-cruiser.cjs', 'cli/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'bench/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows and domain code are deterministic: no Node builtins.',
          })),
          patterns: forbiddenInWorkflows,
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflows never read env.' },
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
      ],
    },
  },
);
