/** The console shell: sign-in by admin key, navigation, and the page for the current route. */
import { Component, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { describeError, journeysApi, session, unauthorizedEvent } from './api';
import { href, PageTitle, useRoute } from './lib';
import { ApiKeysPage } from './pages/ApiKeys';
import { CustomerPage, CustomersPage } from './pages/Customers';
import { EditorPage } from './pages/Editor';
import { EnrollmentPage, JourneyEnrollmentsPage } from './pages/Enrollments';
import { JourneyPage } from './pages/Journey';
import { JourneysPage } from './pages/Journeys';
import { DashboardsPage } from './pages/Dashboards';
import { SimulationPage } from './pages/Simulation';
import { TemplatePage, TemplatesPage } from './pages/Templates';

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  useEffect(() => {
    const onUnauthorized = () => {
      session.signOut();
      setSignedIn(false);
    };
    window.addEventListener(unauthorizedEvent, onUnauthorized);
    return () => window.removeEventListener(unauthorizedEvent, onUnauthorized);
  }, []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <Shell
      onSignOut={() => {
        session.signOut();
        setSignedIn(false);
      }}
    />
  );
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (await journeysApi.checkKey(key.trim())) {
        session.signIn(key.trim());
        onSignedIn();
      } else setError('That is not an admin key.');
    } catch (e) {
      setError(`Could not reach the API: ${describeError(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <PageTitle title="Sign in">Perennial console</PageTitle>
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'sign-in-error' : undefined}>
        <div className="field">
          <label htmlFor="admin-key">Admin API key</label>
          <input
            id="admin-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
          />
          <span className="muted small">Kept in this tab only (session storage). `npm start` prints one.</span>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
        {error ? (
          <p id="sign-in-error" className="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}

const sections = [
  { route: '/journeys', label: 'Journeys' },
  { route: '/customers', label: 'Customers' },
  { route: '/templates', label: 'Templates' },
  { route: '/simulation', label: 'Simulation' },
  { route: '/dashboards', label: 'Dashboards' },
  { route: '/api-keys', label: 'API keys' },
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Perennial</span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.route}>
                <a
                  href={href(s.route)}
                  aria-current={route === s.route || route.startsWith(`${s.route}/`) ? 'page' : undefined}
                >
                  {s.label}
                </a>
              </li>
            ))}
            <li>
              <a href="/docs">API reference</a>
            </li>
          </ul>
        </nav>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <PageBoundary key={route}>
          <Page route={route} />
        </PageBoundary>
      </main>
    </>
  );
}

/**
 * A page that throws (say, an endpoint merged with a shape api.ts did not expect) shows what broke
 * instead of a blank console; navigating away resets it (keyed by route).
 */
class PageBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert">
        <h1>This page failed</h1>
        <p className="error">{this.state.error.message}</p>
        <p>
          <a href={href('/journeys')}>Back to journeys</a>
        </p>
      </div>
    );
  }
}

function Page({ route }: { route: string }) {
  const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, id, sub] = parts;
  switch (section) {
    case 'journeys':
      if (!id) return <JourneysPage />;
      if (id === 'new') return <EditorPage />;
      if (sub === 'edit') return <EditorPage id={id} />;
      if (sub === 'enrollments') return <JourneyEnrollmentsPage id={id} />;
      return <JourneyPage id={id} />;
    case 'enrollments':
      if (id) return <EnrollmentPage id={id} />;
      break;
    case 'customers':
      return id ? <CustomerPage id={id} /> : <CustomersPage />;
    case 'templates':
      return id ? <TemplatePage id={id === 'new' ? undefined : id} /> : <TemplatesPage />;
    case 'simulation':
      return <SimulationPage />;
    case 'dashboards':
      return <DashboardsPage />;
    case 'api-keys':
      return <ApiKeysPage />;
  }
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        <a href={href('/journeys')}>Back to journeys</a>
      </p>
    </>
  );
}
