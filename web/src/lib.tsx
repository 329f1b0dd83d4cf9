/** Small shared pieces: hash routing, async loading, status badges. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { describeError } from './api';

// ---- routing (hash: /console/#/journeys/x; the server only serves files) ---------------------

export function currentRoute(): string {
  const hash = window.location.hash.replace(/^#/, '');
  return hash === '' ? '/journeys' : hash;
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(route: string): void {
  window.location.hash = route;
}

export function href(route: string): string {
  return `#${route}`;
}

// ---- loading ---------------------------------------------------------------------------------

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: unknown };

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  // Callers pass the deps `load` depends on, as with useEffect.
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setResult({ state: 'loading' });
    run().then(
      (data) => live && setResult({ state: 'ok', data }),
      (error: unknown) => live && setResult({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return [result, useCallback(() => setTick((t) => t + 1), [])];
}

/** Renders loading / error states, or `children(data)`. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (loaded.state === 'loading')
    return (
      <p className="muted" role="status">
        Loading {what}…
      </p>
    );
  if (loaded.state === 'error') {
    return (
      <p className="error" role="alert">
        Could not load {what}: {describeError(loaded.error)}
      </p>
    );
  }
  return <>{children(loaded.data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Page heading that takes focus on navigation, so keyboard and screen-reader users land on the new page. */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Perennial`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={heading}>
      {children}
    </h1>
  );
}
