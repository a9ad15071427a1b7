/**
 * The WeChat fake: fault injection (any FaultSpec, POST /devcloud/faults), login codes issued and used, session key
 * rotations (versions only: keys are never shown), phone codes, WeChat API and cloud calls, and the outbox when
 * this devcloud has one (GET /devcloud/outbox).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, describeError } from '../api';
import { DataTable, ErrorMessage, Json, Loading, StatusMessage, Time, useResource, ViewHeading } from '../ui';
import type { CodeView, FaultOptions, FaultSpec, UserView, WeChatStateView } from '../../protocol';

export function WeChatView({ version }: { version: number }) {
  const state = useResource(() => api.get<WeChatStateView>('/wechat'), version);
  return (
    <section aria-labelledby="view-title">
      <ViewHeading>WeChat &amp; faults</ViewHeading>
      <p class="lead">
        What the WeChat fake has handed out and been asked, and the faults waiting for calls. Session keys are never
        shown: a key is known by its version, which goes up on each rotation.
      </p>
      <Faults version={version} />
      <ErrorMessage error={state.error} />
      {!state.data ? <Loading what="the WeChat fake's state" /> : <WeChatState state={state.data} />}
      <Outbox version={version} />
    </section>
  );
}

function WeChatState({ state }: { state: WeChatStateView }) {
  return (
    <>
      <h3>Login codes</h3>
      <Codes codes={state.loginCodes} what="login codes" />
      <h3>Session keys</h3>
      <p class="muted">
        Rotation: {state.sessionKeyRotation === 'every-code' ? 'every wx.login code' : 'only when expired'}.
      </p>
      <DataTable
        caption="WeChat sessions"
        rows={state.sessions}
        rowKey={(session) => session.openid}
        empty="No sessions yet."
        columns={[
          { header: 'User', cell: (session) => session.user ?? session.openid },
          { header: 'Session', cell: (session) => (session.alive ? 'alive' : 'expired') },
          { header: 'Key version', cell: (session) => `#${session.keyVersion}` },
          { header: 'Rotated', cell: (session) => <Time iso={session.rotatedAt} /> },
          { header: 'Expires', cell: (session) => new Date(session.expiresAt).toLocaleString() },
        ]}
      />
      <h4>Rotations</h4>
      <DataTable
        caption="Session key rotations, newest first"
        class="rotations"
        rows={state.rotations}
        rowKey={(rotation, index) => `${rotation.at}-${index}`}
        empty="No wx.login yet."
        columns={[
          { header: 'Time', cell: (rotation) => <Time iso={rotation.at} /> },
          { header: 'User', cell: (rotation) => rotation.user ?? rotation.openid },
          {
            header: 'wx.login',
            cell: (rotation) =>
              rotation.rotated
                ? `new session_key #${rotation.keyVersion} (redacted)`
                : `kept session_key #${rotation.keyVersion}`,
          },
        ]}
      />
      <h3>Phone number codes</h3>
      <Codes codes={state.phoneCodes} what="phone number codes" />
      <h3>Cloud calls</h3>
      <DataTable
        caption="The newest cloud calls, newest first"
        class="cloud-calls"
        rows={state.cloudCalls}
        rowKey={(call) => call.seq}
        empty="No cloud calls yet."
        columns={[
          { header: 'Time', cell: (call) => <Time iso={call.at} /> },
          { header: 'API', class: 'mono', cell: (call) => call.api },
          { header: 'Function', cell: (call) => call.functionName },
          { header: 'User', cell: (call) => call.user ?? call.openid ?? '—' },
          {
            header: 'Answered by',
            cell: (call) => (call.answeredBy === 'none' ? 'nobody (refused)' : call.answeredBy),
          },
          {
            header: 'errcode',
            cell: (call) => <span class={`badge badge-${call.errcode === 0 ? 'ok' : 'failed'}`}>{call.errcode}</span>,
          },
        ]}
      />
      <h3>All WeChat calls</h3>
      <p class="muted">
        Calls so far:{' '}
        {Object.entries(state.apiCalls)
          .map(([api, count]) => `${api} ${count}`)
          .join(', ')}
        .
      </p>
      <DataTable
        caption="The newest WeChat API and cloud calls"
        class="calls"
        rows={state.recentCalls}
        rowKey={(call) => call.seq}
        empty="No calls yet."
        columns={[
          { header: '#', cell: (call) => call.seq },
          { header: 'Kind', cell: (call) => (call.target === 'wechat' ? 'server API' : 'cloud call') },
          { header: 'API', class: 'mono', cell: (call) => call.action },
          { header: 'Function', cell: (call) => call.functionName ?? '—' },
          { header: 'User', cell: (call) => call.user ?? call.openid ?? '—' },
          {
            header: 'Outcome',
            cell: (call) => (
              <span class={`badge badge-${call.outcome === 'ok' ? 'ok' : 'failed'}`}>
                {call.outcome}
                {call.fault ? ` (${call.fault})` : ''}
              </span>
            ),
          },
        ]}
      />
    </>
  );
}

function Codes({ codes, what }: { codes: CodeView[]; what: string }) {
  return (
    <DataTable
      caption={`${what}, newest first (first characters of each code)`}
      class="codes"
      rows={codes}
      rowKey={(code) => `${code.codePrefix}-${code.issuedAt}`}
      empty={`No ${what} yet.`}
      columns={[
        { header: 'Code', class: 'mono', cell: (code) => code.codePrefix },
        { header: 'User', cell: (code) => code.user ?? code.openid },
        { header: 'Issued', cell: (code) => <Time iso={code.issuedAt} /> },
        {
          header: 'Status',
          cell: (code) =>
            code.status === 'used' ? (
              <>
                used at <Time iso={code.usedAt} />
              </>
            ) : (
              code.status
            ),
        },
      ]}
    />
  );
}

interface FaultForm {
  target: string;
  mode: string;
  action: string;
  openid: string;
  functionName: string;
  collection: string;
  code: string;
  delayMs: string;
  skip: string;
  times: string;
}

const EMPTY_FORM: FaultForm = {
  target: 'wechat',
  mode: 'error',
  action: 'jscode2session',
  openid: '',
  functionName: '',
  collection: '',
  code: '',
  delayMs: '',
  skip: '',
  times: '1',
};

/** The form's fields as a FaultSpec; devcloud checks it (400 INVALID_FAULT names what is wrong). */
function specOf(form: FaultForm): FaultSpec {
  const match: NonNullable<FaultSpec['match']> = {};
  if (form.action.trim()) match.action = form.action.trim();
  if (form.openid) match.openid = form.openid;
  if (form.functionName.trim()) match.functionName = form.functionName.trim();
  if (form.collection.trim()) match.collection = form.collection.trim();
  const spec: FaultSpec = { target: form.target as FaultSpec['target'], mode: form.mode as FaultSpec['mode'] };
  if (Object.keys(match).length) spec.match = match;
  const number = (text: string) => (text.trim() === '' ? undefined : Number(text));
  const code = form.code.trim();
  // WeChat errcodes and wx errCodes are numbers; database and storage codes are strings.
  if (code) spec.code = /^-?\d+$/.test(code) ? Number(code) : code;
  const delayMs = number(form.delayMs);
  if (delayMs !== undefined) spec.delayMs = delayMs;
  const skip = number(form.skip);
  if (skip !== undefined) spec.skip = skip;
  const times = number(form.times);
  if (times !== undefined) spec.times = times;
  return spec;
}

function Faults({ version }: { version: number }) {
  const options = useResource(() => api.get<FaultOptions>('/faults/options'), 0);
  const users = useResource(() => api.get<UserView[]>('/users'), version);
  const pending = useResource(() => api.get<FaultSpec[]>('/faults'), version);
  const [form, setForm] = useState<FaultForm>(EMPTY_FORM);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const field = (name: keyof FaultForm) => (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setForm((current) => ({ ...current, [name]: event.currentTarget.value }));

  const inject = async (event: Event) => {
    event.preventDefault();
    const spec = specOf(form);
    try {
      await api.post('/faults', { fault: spec });
      setError(undefined);
      setStatus(`Injected: ${describeSpec(spec)}.`);
      pending.reload();
    } catch (injectError) {
      setStatus('');
      setError(injectError instanceof ApiError ? injectError.message : describeError(injectError));
    }
  };
  const clear = async () => {
    try {
      await api.delete('/faults');
      setError(undefined);
      setStatus('Every pending fault dropped.');
      pending.reload();
    } catch (clearError) {
      setError(describeError(clearError));
    }
  };
  const actions = options.data?.actions[form.target] ?? [];

  return (
    <>
      <h3 id="faults-title">Faults</h3>
      <form class="fault-form" onSubmit={(event) => void inject(event)} aria-labelledby="faults-title">
        <fieldset>
          <legend>Inject a fault</legend>
          <Field id="fault-target" label="Target">
            <select
              id="fault-target"
              value={form.target}
              onChange={(event) => setForm({ ...form, target: event.currentTarget.value, action: '' })}
            >
              {(options.data?.targets ?? ['wechat']).map((target) => (
                <option key={target} value={target}>
                  {target}
                </option>
              ))}
            </select>
          </Field>
          <Field id="fault-mode" label="Mode">
            <select id="fault-mode" value={form.mode} onChange={field('mode')}>
              {(options.data?.modes ?? ['error']).map((mode) => (
                <option key={mode} value={mode}>
                  {mode}
                </option>
              ))}
            </select>
          </Field>
          <Field id="fault-action" label="Action">
            <select id="fault-action" value={form.action} onChange={field('action')}>
              <option value="">any</option>
              {actions.map((action) => (
                <option key={action} value={action}>
                  {action}
                </option>
              ))}
            </select>
          </Field>
          <Field id="fault-user" label="User">
            <select id="fault-user" value={form.openid} onChange={field('openid')}>
              <option value="">any</option>
              {(users.data ?? []).map((user) => (
                <option key={user.openid} value={user.openid}>
                  {user.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="fault-function" label="Function">
            <input id="fault-function" value={form.functionName} onInput={field('functionName')} placeholder="any" />
          </Field>
          <Field id="fault-collection" label="Collection">
            <input id="fault-collection" value={form.collection} onInput={field('collection')} placeholder="any" />
          </Field>
          <Field id="fault-code" label="Code">
            <input id="fault-code" value={form.code} onInput={field('code')} placeholder="e.g. 40226" />
          </Field>
          <Field id="fault-delay" label="Delay (ms)">
            <input id="fault-delay" value={form.delayMs} onInput={field('delayMs')} inputMode="numeric" />
          </Field>
          <Field id="fault-skip" label="Skip">
            <input id="fault-skip" value={form.skip} onInput={field('skip')} inputMode="numeric" placeholder="0" />
          </Field>
          <Field id="fault-times" label="Times">
            <input id="fault-times" value={form.times} onInput={field('times')} inputMode="numeric" />
          </Field>
        </fieldset>
        <p class="hint muted">
          <strong>error</strong>: the service's own error reply (the code: a WeChat errcode such as 40029, 45011, 40226
          or -1; a database code string); <strong>reset</strong>: the connection drops before anything is applied;{' '}
          <strong>lost</strong>: applied, then the reply is lost; <strong>delay</strong>: answered late.
        </p>
        <div class="actions">
          <button type="submit">Inject fault</button>
          <button type="button" class="secondary" onClick={() => void clear()}>
            Clear all faults
          </button>
        </div>
      </form>
      <ErrorMessage error={error ?? options.error ?? pending.error} />
      {status && <StatusMessage>{status}</StatusMessage>}
      <h4>Pending faults</h4>
      {!pending.data ? (
        <Loading what="faults" />
      ) : pending.data.length === 0 ? (
        <p class="empty">None: every call is answered normally.</p>
      ) : (
        <ul class="pending-faults">
          {pending.data.map((spec, index) => (
            <li key={index}>{describeSpec(spec)}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A label and its control, tied by id: the control's accessible name is the label alone. */
function Field({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

/** "wechat jscode2session: error 40226, 1 time" */
export function describeSpec(spec: FaultSpec): string {
  const match = spec.match ?? {};
  const scope = [match.action, match.collection, match.functionName && `in ${match.functionName}`, match.openid]
    .filter(Boolean)
    .join(' ');
  const times = spec.times ?? 1;
  return (
    `${spec.target}${scope ? ` ${scope}` : ''}: ${spec.mode}` +
    `${spec.code !== undefined ? ` ${spec.code}` : ''}${spec.delayMs ? ` after ${spec.delayMs} ms` : ''}` +
    `${spec.skip ? `, after ${spec.skip} let through` : ''}, ${times} time${times === 1 ? '' : 's'}`
  );
}

/** What devcloud's WeChat delivered (GET /devcloud/outbox): an array of entries when this devcloud has one. */
interface OutboxEntryView {
  id: string;
  kind: string;
  at: string;
  functionName: string;
  touser?: string;
  payload: Record<string, unknown>;
}

function Outbox({ version }: { version: number }) {
  const outbox = useResource(
    () =>
      api.get<OutboxEntryView[]>('/outbox').catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    version,
  );
  const users = useResource(() => api.get<UserView[]>('/users'), version);
  if (outbox.data === null) return null; // this devcloud has no outbox
  const nameOf = (openid: string | undefined) =>
    openid === undefined ? '—' : (users.data?.find((user) => user.openid === openid)?.name ?? openid);
  const entries = Array.isArray(outbox.data) ? [...outbox.data].reverse() : [];
  return (
    <>
      <h3>Outbox</h3>
      <p class="muted">
        What functions sent through WeChat, newest first: subscribe messages, customer service messages, content check
        results, URL links.
      </p>
      <ErrorMessage error={outbox.error} />
      {outbox.data === undefined ? (
        <Loading what="the outbox" />
      ) : (
        <DataTable
          caption="Outbox entries, newest first"
          class="outbox"
          rows={entries}
          rowKey={(entry) => entry.id}
          rowProps={(entry) => ({ class: 'outbox-entry', 'data-kind': entry.kind })}
          empty="Nothing sent yet."
          columns={[
            { header: 'Time', cell: (entry) => <Time iso={entry.at} /> },
            { header: 'Kind', cell: (entry) => entry.kind },
            { header: 'From', cell: (entry) => entry.functionName },
            { header: 'To', cell: (entry) => nameOf(entry.touser) },
            {
              header: 'Payload',
              cell: (entry) => (
                <details>
                  <summary class="mono">{summaryOf(entry.payload)}</summary>
                  <Json value={entry.payload} label={`Payload of ${entry.kind} ${entry.id}`} />
                </details>
              ),
            },
          ]}
        />
      )}
    </>
  );
}

/** Fields that say what an entry is, shown first in its one-line summary. */
const SUMMARY_FIELDS = ['template_id', 'msgtype', 'page', 'path', 'trace_id', 'openlink', 'url_link'];

/** A payload in one line: the fields that say what it is (a template, a page...), else its first characters. */
function summaryOf(payload: Record<string, unknown>): string {
  const key = SUMMARY_FIELDS.filter((field) => typeof payload[field] === 'string' || typeof payload[field] === 'number')
    .map((field) => `${field}: ${String(payload[field])}`)
    .join(', ');
  const text = key || JSON.stringify(payload);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
