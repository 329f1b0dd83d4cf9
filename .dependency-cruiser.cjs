// The arrows between top-level folders (docs/design.md, "Layers"). Checked by `npm run lint`
// through scripts/check-layers.mjs. Each rule forbids the upward arrows of one layer; together
// they leave a one-way graph, so no cycle between folders can form.
const product =
  '^(domain|drizzle|library|workflows|services|platform|activities|api|worker|simulation|scripts|cli|bench)/';

/** A rule that `from` never imports any of `folders`. */
const never = (name, from, folders, comment, extra = {}) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^${from}/` },
  to: { path: `^(${folders.join('|')})/`, ...extra },
});

module.exports = {
  forbidden: [
    never(
      'domain-is-pure',
      'domain',
      [
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
      ],
      'domain/ is pure: it imports nothing of ours but domain/.',
    ),
    never(
      'drizzle-imports-only-domain',
      'drizzle',
      [
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
      ],
      'drizzle/ (schema, client, migrations, locks) imports only domain/.',
    ),
    never(
      'library-imports-only-domain',
      'library',
      [
        'drizzle',
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
      ],
      'library/ is content (journeys, templates): it imports only domain/.',
    ),
    never(
      'workflows-are-deterministic',
      'workflows',
      ['drizzle', 'library', 'services', 'platform', 'api', 'worker', 'simulation', 'scripts', 'cli', 'bench'],
      'workflows/ run in the sandbox: domain/ and activity types only.',
    ),
    never(
      'workflows-import-activity-types-only',
      'workflows',
      ['activities'],
      'workflows/ import activity *types* only.',
      {
        dependencyTypesNot: ['type-only'],
      },
    ),
    never(
      'services-below-the-processes',
      'services',
      ['platform', 'activities', 'api', 'worker', 'simulation', 'scripts', 'cli', 'bench'],
      'services/ are Postgres plus an injected Temporal client: no Fastify, no Worker, no process plumbing (take a logger as a dependency).',
    ),
    {
      name: 'services-use-workflow-contracts',
      comment: 'services/ start, signal and query workflows through workflows/contracts/, never a workflow body.',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^workflows/', pathNot: '^workflows/contracts/' },
    },
    never(
      'platform-is-plumbing',
      'platform',
      ['library', 'services', 'activities', 'api', 'worker', 'simulation', 'scripts', 'cli', 'bench'],
      'platform/ (env, connections, logging, search attributes) knows no application code.',
    ),
    {
      name: 'platform-uses-workflow-contracts',
      comment: 'platform/ registers search attributes from the contracts, never a workflow body.',
      severity: 'error',
      from: { path: '^platform/' },
      to: { path: '^workflows/', pathNot: '^workflows/contracts/' },
    },
    never(
      'activities-are-adapters',
      'activities',
      ['api', 'worker', 'simulation', 'scripts', 'cli', 'bench'],
      'activities/ adapt services/ to Temporal: they never reach the HTTP edge or a process.',
    ),
    {
      name: 'api-is-the-http-edge',
      comment: 'api/ is the HTTP edge over services/: no activities, no worker, no dev tooling, no workflow bodies.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^(activities|worker|scripts|cli|bench)/|^workflows/(?!contracts/)' },
    },
    never(
      'worker-never-imports-api',
      'worker',
      ['api', 'simulation', 'scripts', 'cli', 'bench'],
      'worker/ composes services and activities; it never imports the HTTP edge.',
    ),
    {
      name: 'simulation-below-the-processes',
      comment:
        'simulation/ runs workflows in a test environment; it never imports the HTTP edge or the worker process.',
      severity: 'error',
      from: { path: '^simulation/' },
      to: { path: '^(api|worker|cli|bench|scripts)/' },
    },
    {
      name: 'cli-uses-the-api-contract',
      comment:
        'cli/ talks to the API over HTTP (cli/api.ts) with the types of its contract (api/schemas/), or uses services/; never api/ route files.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^(api|bench)/', pathNot: '^api/schemas/' },
    },
    {
      name: 'the-api-contract-is-pure',
      comment:
        'api/schemas/ is the contract the API, the console and the CLI share: zod over domain/ only, no server code.',
      severity: 'error',
      from: { path: '^api/schemas/' },
      to: { path: '^(?!domain/|api/schemas/)[a-z]+/' },
    },
    never('scripts-never-import-bench', 'scripts', ['bench'], 'bench/ drives scripts/, not the other way.'),
    {
      name: 'no-cycle-between-folders',
      comment: 'A cycle that leaves its folder ties two folders together: break it by moving the shared part down.',
      severity: 'error',
      from: { path: '^([^/]+)/' },
      to: { circular: true, pathNot: '^$1/' },
    },
  ],
  options: {
    includeOnly: product,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
