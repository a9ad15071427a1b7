/** Every invocation, newest first, live: function, caller, cold or warm, duration, outcome; details on demand. */
import { useState } from 'preact/hooks';
import { DataTable, Json, shortId, Time, ViewHeading, type Column } from '../ui';
import type { InvocationRecord } from '../../protocol';

/** What an invocation came to, in a word: ok, the function's own error code (`{ok: false}`), or the failure. */
export function outcomeOf(record: InvocationRecord): { text: string; kind: 'ok' | 'failed' | 'error' | 'running' } {
  if (record.status === 'running') return { text: 'running…', kind: 'running' };
  if (record.error) return { text: `error ${record.error.errCode}`, kind: 'error' };
  const result = record.result as { ok?: unknown; error?: { code?: unknown } } | null | undefined;
  if (result && typeof result === 'object' && result.ok === false) {
    const code = result.error && typeof result.error.code === 'string' ? result.error.code : 'ok: false';
    return { text: code, kind: 'failed' };
  }
  return { text: 'ok', kind: 'ok' };
}

export function FunctionsView({ invocations, capacity }: { invocations: InvocationRecord[]; capacity: number }) {
  const [functionName, setFunctionName] = useState('');
  const [open, setOpen] = useState<Set<number>>(new Set());
  const names = [...new Set(invocations.map((record) => record.functionName))].sort();
  const shown = functionName ? invocations.filter((record) => record.functionName === functionName) : invocations;
  const toggle = (seq: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });

  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Functions</ViewHeading>
      <p class="lead">
        Every invocation, newest first, as it happens{capacity ? ` (devcloud keeps the newest ${capacity})` : ''}: who
        called, cold or warm, how long it took, the event, the result or error and the function's log lines.
      </p>
      <div class="toolbar">
        <label>
          Function{' '}
          <select value={functionName} onChange={(event) => setFunctionName(event.currentTarget.value)}>
            <option value="">All functions</option>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <p class="muted" aria-live="polite">
          {shown.length} invocation{shown.length === 1 ? '' : 's'}
        </p>
      </div>
      <DataTable
        caption="Function invocations, newest first"
        class="invocations"
        rows={shown}
        rowKey={(record) => record.seq}
        empty={
          <>
            No invocations yet. Log in as a user (Users), or call a function through the control API:{' '}
            <code>POST /devcloud/functions/invoke</code>.
          </>
        }
        columns={INVOCATION_COLUMNS}
        renderRow={(record) => (
          <InvocationRows record={record} expanded={open.has(record.seq)} onToggle={() => toggle(record.seq)} />
        )}
      />
    </section>
  );
}

/** The invocations table's headers; InvocationRows draws the cells. */
const INVOCATION_COLUMNS: Array<Column<InvocationRecord>> = [
  { header: 'Time' },
  { header: 'Function' },
  { header: 'Caller' },
  { header: 'Start' },
  { header: 'Duration' },
  { header: 'Outcome' },
  { header: <span class="visually-hidden">Details</span> },
];

function InvocationRows({
  record,
  expanded,
  onToggle,
}: {
  record: InvocationRecord;
  expanded: boolean;
  onToggle: () => void;
}) {
  const outcome = outcomeOf(record);
  const detailsId = `invocation-${record.seq}`;
  const caller =
    record.caller.user ??
    (record.caller.openid
      ? shortId(record.caller.openid)
      : record.caller.source === 'wx_trigger'
        ? 'timer trigger'
        : 'no identity');
  // Not a phone's call: a timer (wx_trigger), another function (…,scf), a test without a user.
  const source = record.caller.source && record.caller.source !== 'wx_client' ? record.caller.source : undefined;
  return (
    <>
      <tr class={`invocation outcome-${outcome.kind}`} data-seq={record.seq} data-function={record.functionName}>
        <td>
          <Time iso={record.startedAt} />
        </td>
        <td class="function">{record.functionName}</td>
        <td class="caller">
          {caller}
          {record.caller.openid && <span class="subtle mono"> {shortId(record.caller.openid, 12)}</span>}
          {source && <span class="subtle"> via {source}</span>}
        </td>
        <td class="start">
          {record.cold === undefined
            ? '—'
            : record.cold
              ? `cold${record.initMs !== undefined ? ` (init ${Math.round(record.initMs)} ms)` : ''}`
              : 'warm'}
        </td>
        <td class="duration">{record.durationMs === undefined ? '—' : `${Math.round(record.durationMs)} ms`}</td>
        <td class="outcome">
          <span class={`badge badge-${outcome.kind}`}>{outcome.text}</span>
        </td>
        <td>
          <button
            type="button"
            class="link-button"
            aria-expanded={expanded}
            aria-controls={detailsId}
            onClick={onToggle}
          >
            {expanded ? 'Hide' : 'Details'}
            <span class="visually-hidden">
              {' '}
              of {record.functionName} #{record.seq}
            </span>
          </button>
        </td>
      </tr>
      {expanded && (
        <tr class="details-row" id={detailsId}>
          <td colSpan={7}>
            <InvocationDetails record={record} />
          </td>
        </tr>
      )}
    </>
  );
}

function InvocationDetails({ record }: { record: InvocationRecord }) {
  return (
    <div class="details">
      <dl class="facts">
        <dt>Request</dt>
        <dd class="mono">{record.requestId}</dd>
        <dt>OPENID</dt>
        <dd class="mono">{record.caller.openid ?? '—'}</dd>
        <dt>UNIONID</dt>
        <dd class="mono">{record.caller.unionid ?? '—'}</dd>
        <dt>Source</dt>
        <dd>{record.caller.source ?? '—'}</dd>
      </dl>
      <div class="columns">
        <div>
          <h3>Event</h3>
          <Json value={record.event} label={`Event of ${record.functionName} #${record.seq}`} />
        </div>
        <div>
          <h3>{record.error ? 'Error' : 'Result'}</h3>
          {record.status === 'running' ? (
            <p class="muted">Still running…</p>
          ) : (
            <Json
              value={record.error ?? record.result}
              label={`${record.error ? 'Error' : 'Result'} of ${record.functionName} #${record.seq}`}
            />
          )}
        </div>
      </div>
      <h3>Log lines</h3>
      {record.logs.length === 0 ? (
        <p class="muted">The function wrote nothing.</p>
      ) : (
        <pre class="logs" aria-label={`Log lines of ${record.functionName} #${record.seq}`} tabIndex={0}>
          {record.logs.join('\n')}
          {record.logsDropped ? `\n… ${record.logsDropped} more lines not kept` : ''}
        </pre>
      )}
    </div>
  );
}
