/**
 * API keys: create a write key (for sending events) or an admin key, shown once; revoke by id.
 * The API has no list endpoint, so the page lists only the keys created in this tab.
 */
import { useState, type FormEvent } from 'react';
import { apiKeysApi, describeError, type CreatedApiKey } from '../api';
import { formatTime, PageTitle } from '../lib';

export function ApiKeysPage() {
  const [kind, setKind] = useState<'write' | 'admin'>('write');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(CreatedApiKey & { revoked?: boolean })[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [revokeId, setRevokeId] = useState('');

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    try {
      const key = await apiKeysApi.create(kind, name.trim());
      setCreated((list) => [key, ...list]);
      setName('');
      setMessage({ ok: true, text: `Created ${key.kind} key “${key.name}”. Copy it now: it is not shown again.` });
    } catch (error) {
      setMessage({ ok: false, text: `Could not create the key: ${describeError(error)}` });
    }
  };
  const revoke = async (id: string) => {
    setMessage(null);
    try {
      await apiKeysApi.revoke(id);
      setCreated((list) => list.map((k) => (k.id === id ? { ...k, revoked: true } : k)));
      setRevokeId('');
      setMessage({ ok: true, text: `Revoked key ${id}.` });
    } catch (error) {
      setMessage({ ok: false, text: `Could not revoke ${id}: ${describeError(error)}` });
    }
  };

  return (
    <>
      <PageTitle title="API keys">API keys</PageTitle>
      <p>
        Write keys send events (<code>/v1/identify</code>, <code>/v1/track</code>, <code>/v1/batch</code>); admin keys
        also manage journeys and keys.
      </p>
      <form className="inline-form" onSubmit={(e) => void create(e)}>
        <label htmlFor="key-kind">Kind</label>
        <select id="key-kind" value={kind} onChange={(e) => setKind(e.target.value as 'write' | 'admin')}>
          <option value="write">write</option>
          <option value="admin">admin</option>
        </select>
        <label htmlFor="key-name">Used by</label>
        <input
          id="key-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. Tmall store sync"
          required
          maxLength={200}
        />
        <button type="submit" className="primary">
          Create key
        </button>
      </form>
      <div aria-live="polite">{message ? <p className={message.ok ? 'ok' : 'error'}>{message.text}</p> : null}</div>
      {created.length > 0 ? (
        <table>
          <caption className="visually-hidden">Keys created in this tab</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Key (shown once)</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {created.map((k) => (
              <tr key={k.id} data-key={k.id}>
                <td>{k.name}</td>
                <td>{k.kind}</td>
                <td>
                  <code className="plaintext-key">{k.revoked ? 'revoked' : k.key}</code>
                </td>
                <td>{formatTime(k.createdAt)}</td>
                <td>
                  <button type="button" className="danger" disabled={k.revoked} onClick={() => void revoke(k.id)}>
                    Revoke “{k.name}”
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Revoke another key</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void revoke(revokeId.trim());
        }}
      >
        <label htmlFor="revoke-id">Key id</label>
        <input
          id="revoke-id"
          value={revokeId}
          onChange={(e) => setRevokeId(e.target.value)}
          pattern="[0-9a-fA-F-]{36}"
          title="the key's id (a uuid)"
          required
          size={40}
        />
        <button type="submit" className="danger">
          Revoke
        </button>
      </form>
    </>
  );
}
