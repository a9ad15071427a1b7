/**
 * The simulated WeChat users: OPENID, UNIONID, their WeChat session (the key's version, never the key), the claims
 * of the last token a login returned to them, and "log in as", which does what their phone does at launch.
 */
import { useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { ErrorMessage, Json, Loading, StatusMessage, Time, useResource, ViewHeading } from '../ui';
import type { LoginAsAnswer, UserView } from '../../protocol';

export function UsersView({ version }: { version: number }) {
  const users = useResource(() => api.get<UserView[]>('/users'), version);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();

  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Users</ViewHeading>
      <p class="lead">
        The simulated WeChat users. A user's OPENID is derived from their name; <strong>Log in as</strong> does what
        their phone does at launch: <code>wx.login</code>, then <code>wx.cloud.callFunction('login')</code> with the
        code.
      </p>
      <AddUserForm
        onAdded={(name) => {
          setStatus(`Added ${name}.`);
          users.reload();
        }}
        onError={setError}
      />
      <ErrorMessage error={error ?? users.error} />
      {status && <StatusMessage>{status}</StatusMessage>}
      {!users.data ? (
        <Loading what="users" />
      ) : users.data.length === 0 ? (
        <p class="empty">No simulated users yet: add one above, or a test or phone creates them on first use.</p>
      ) : (
        <ul class="cards" aria-label="Simulated users">
          {users.data.map((user) => (
            <li key={user.openid}>
              <UserCard
                user={user}
                onDone={(message) => {
                  setError(undefined);
                  setStatus(message);
                  users.reload();
                }}
                onError={(message) => {
                  setStatus('');
                  setError(message);
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AddUserForm({ onAdded, onError }: { onAdded: (name: string) => void; onError: (message: string) => void }) {
  const [name, setName] = useState('');
  const [unionid, setUnionid] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return onError('Give the new user a name.');
    try {
      await api.post('/users', { user: trimmed, unionid });
      setName('');
      onAdded(trimmed);
    } catch (error) {
      onError(describeError(error));
    }
  };
  return (
    <form class="inline-form" onSubmit={(event) => void submit(event)} aria-label="Add a simulated user">
      <label>
        Name <input value={name} onInput={(event) => setName(event.currentTarget.value)} maxLength={64} />
      </label>
      <label class="check">
        <input type="checkbox" checked={unionid} onChange={(event) => setUnionid(event.currentTarget.checked)} /> Has a
        UNIONID
      </label>
      <button type="submit">Add user</button>
    </form>
  );
}

/** "login answered ok", or the function's error code, or the phone's failure: one line for the status region. */
export function describeLogin(name: string, answer: LoginAsAnswer): string {
  if (answer.error) return `${name}: wx.login failed: ${answer.error.errMsg}`;
  const report = answer.report;
  if (!report) return `${name}: no answer`;
  if (report.error) return `${name}: the login call failed: ${report.error.errMsg}`;
  const result = report.result as { ok?: boolean; error?: { code?: string; message?: string } } | undefined;
  if (result?.ok === false) return `${name}: login answered ${result.error?.code ?? 'an error'}`;
  return `${name}: login answered ok (${report.cold ? 'cold' : 'warm'}, ${Math.round(report.durationMs)} ms)`;
}

function UserCard({
  user,
  onDone,
  onError,
}: {
  user: UserView;
  onDone: (message: string) => void;
  onError: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    try {
      onDone(await what());
    } catch (error) {
      onError(`${user.name}: ${describeError(error)}`);
    } finally {
      setBusy(false);
    }
  };
  const logIn = () =>
    run(async () => describeLogin(user.name, await api.post<LoginAsAnswer>('/users/login', { user: user.name })));
  const expire = () =>
    run(async () => {
      await api.post('/wx/expireSession', { user: user.name });
      return `${user.name}: WeChat session expired (wx.checkSession now fails).`;
    });
  const headingId = `user-${user.openid}`;
  return (
    <article class="card user" aria-labelledby={headingId} data-user={user.name}>
      <h3 id={headingId}>{user.name}</h3>
      <dl class="facts">
        <dt>OPENID</dt>
        <dd class="mono openid">{user.openid}</dd>
        <dt>UNIONID</dt>
        <dd class="mono">{user.unionid ?? '—'}</dd>
        <dt>Phone</dt>
        <dd>{user.phoneMasked}</dd>
        <dt>WeChat session</dt>
        <dd class="session">
          {user.session ? (
            <>
              {user.session.alive ? 'alive' : 'expired'}, session_key #{user.session.keyVersion} since{' '}
              <Time iso={user.session.rotatedAt} /> <span class="subtle">(the key itself is never shown)</span>
            </>
          ) : (
            'none yet (no wx.login)'
          )}
        </dd>
      </dl>
      <h4>Token claims</h4>
      {user.token ? (
        <>
          <p class="muted">
            The last token <code>{user.token.functionName}</code> returned, at <Time iso={user.token.issuedAt} />,{' '}
            {typeof user.token.claims.exp === 'number' && (
              <>
                {user.token.expired ? 'expired' : 'expires'} at{' '}
                <Time iso={new Date(user.token.claims.exp * 1000).toISOString()} />{' '}
              </>
            )}
            (decoded, not verified):
          </p>
          <Json value={user.token.claims} label={`Token claims of ${user.name}`} />
        </>
      ) : user.tokenError ? (
        <p class="message error">The last token could not be decoded: {user.tokenError}</p>
      ) : (
        <p class="muted">
          No token yet: no login has returned one to this user (the kit's login function returns one when it has
          AUTH_TOKEN_PRIVATE_KEY).
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => void logIn()} disabled={busy}>
          Log in as {user.name}
        </button>
        <button type="button" class="secondary" onClick={() => void expire()} disabled={busy || !user.session?.alive}>
          Expire WeChat session
        </button>
      </div>
    </article>
  );
}
