/**
 * Builds the marketer console (web/) into web/dist with Vite. `npm run build:web` always builds;
 * `npm start` and the console's end-to-end test call `ensureWebBuild()`, which builds only when
 * web/dist is missing or older than a source it is made from (web/, domain/journey/).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const webDir = join(root, 'web');
export const webDistDir = join(webDir, 'dist');
/** What the bundle is made from: a change to any of these makes web/dist stale. */
const sources = [
  join(webDir, 'src'),
  join(webDir, 'index.html'),
  join(root, 'domain', 'journey'),
  fileURLToPath(import.meta.url),
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

export function webBuildIsStale(): boolean {
  const built = join(webDistDir, 'index.html');
  if (!existsSync(built)) return true;
  return Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
}

export async function buildWeb(): Promise<void> {
  // React picks its production build from NODE_ENV (vitest sets "test").
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    const [{ build }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
    await build({
      configFile: false,
      root: webDir,
      base: '/console/',
      mode: 'production',
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir: webDistDir, emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
    });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}

/** Builds when stale; returns whether it built. */
export async function ensureWebBuild(log: (line: string) => void = () => {}): Promise<boolean> {
  if (!webBuildIsStale()) return false;
  log('building the console (web/ → web/dist)');
  await buildWeb();
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  buildWeb().then(
    () => console.log(`console built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
