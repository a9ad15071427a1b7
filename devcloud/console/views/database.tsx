/**
 * Collections and their documents: search, view, edit, add, delete. Edits are database actions like a function's
 * (a replace, as doc(id).set() sends; an insert; a remove), so the database's checks and any pending database
 * fault apply. Documents are relaxed Extended JSON, dates as {"$date": "..."}; secrets show as {"$redacted": ...}
 * markers, which keep the stored value when a document is saved with them.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { routeHref } from '../routes';
import { ErrorMessage, Loading, StatusMessage, useResource, ViewHeading } from '../ui';
import type { CollectionView, DocumentPage } from '../../protocol';

const PAGE = 50;

export function DatabaseView({ version, collection }: { version: number; collection: string | undefined }) {
  const collections = useResource(() => api.get<CollectionView[]>('/collections'), version);
  const chosen = collection ?? collections.data?.[0]?.name;
  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Database</ViewHeading>
      <p class="lead">
        Changes made here are database calls like a function's: the same checks, and a pending database fault acts on
        them. Secrets (session keys, phone numbers) are shown as <code>{'{"$redacted": …}'}</code>; saving a document
        with them keeps the stored values.
      </p>
      <ErrorMessage error={collections.error} />
      <div class="split">
        <nav class="collections" aria-label="Collections">
          <h3>Collections</h3>
          {!collections.data ? (
            <Loading what="collections" />
          ) : collections.data.length === 0 ? (
            <p class="empty">No collections yet.</p>
          ) : (
            <ul>
              {collections.data.map((item) => (
                <li key={item.name}>
                  <a href={routeHref('database', item.name)} aria-current={item.name === chosen ? 'page' : undefined}>
                    {item.name} <span class="count">{item.count}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div class="documents">
          {chosen !== undefined && <Documents key={chosen} collection={chosen} version={version} />}
        </div>
      </div>
    </section>
  );
}

function Documents({ collection, version }: { collection: string; version: number }) {
  const [search, setSearch] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [adding, setAdding] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const query = `search=${encodeURIComponent(search)}&limit=${limit}`;
  const page = useResource(
    () => api.get<DocumentPage>(`/collections/${encodeURIComponent(collection)}/documents?${query}`),
    version,
    query,
  );
  const done = (message: string) => {
    setError(undefined);
    setStatus(message);
    page.reload();
  };
  const documentsPath = `/collections/${encodeURIComponent(collection)}/documents`;

  return (
    <div aria-labelledby="collection-title">
      <h3 id="collection-title">{collection}</h3>
      <div class="toolbar">
        <label>
          Search documents{' '}
          <input
            type="search"
            value={search}
            onInput={(event) => {
              setSearch(event.currentTarget.value);
              setLimit(PAGE);
            }}
            placeholder="text in any field"
          />
        </label>
        <button type="button" onClick={() => setAdding(true)} disabled={adding}>
          Add document
        </button>
        {page.data && (
          <p class="muted" aria-live="polite">
            {page.data.documents.length} of {page.data.total} document{page.data.total === 1 ? '' : 's'}
          </p>
        )}
      </div>
      {status && <StatusMessage>{status}</StatusMessage>}
      <ErrorMessage error={error ?? page.error} />
      {adding && (
        <DocumentEditor
          title="New document"
          initial={'{\n  \n}'}
          submitLabel="Add"
          onCancel={() => setAdding(false)}
          onSubmit={async (document) => {
            const { _id } = await api.post<{ _id: string }>(documentsPath, { document });
            setAdding(false);
            done(`Added ${_id} to ${collection}.`);
          }}
        />
      )}
      {!page.data ? (
        <Loading what="documents" />
      ) : page.data.documents.length === 0 ? (
        <p class="empty">{search ? 'No document matches.' : 'This collection is empty.'}</p>
      ) : (
        <ul class="document-list">
          {page.data.documents.map((document) => (
            <li key={String(document._id)}>
              <DocumentItem
                document={document}
                path={`${documentsPath}/${encodeURIComponent(String(document._id))}`}
                onDone={done}
                onError={setError}
              />
            </li>
          ))}
        </ul>
      )}
      {page.data && page.data.total > page.data.documents.length && (
        <button type="button" class="secondary" onClick={() => setLimit((n) => n + PAGE)}>
          Show more documents
        </button>
      )}
    </div>
  );
}

function DocumentItem({
  document,
  path,
  onDone,
  onError,
}: {
  document: Record<string, unknown>;
  path: string;
  onDone: (message: string) => void;
  onError: (message: string) => void;
}) {
  const id = String(document._id);
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  const text = JSON.stringify(document, null, 2);
  const headingId = `doc-${id}`;
  return (
    <article class="document" aria-labelledby={headingId} data-id={id}>
      <h4 id={headingId} class="mono">
        {id}
      </h4>
      {mode === 'edit' ? (
        <DocumentEditor
          title={`Edit ${id}`}
          initial={text}
          submitLabel="Save"
          onCancel={() => setMode('view')}
          onSubmit={async (edited) => {
            const { updated } = await api.put<{ updated: number }>(path, { document: edited });
            setMode('view');
            onDone(updated ? `Saved ${id}.` : `${id} is unchanged.`);
          }}
        />
      ) : (
        <pre class="json" tabIndex={0} aria-label={`Document ${id}`}>
          {text}
        </pre>
      )}
      {mode === 'view' && (
        <div class="actions">
          <button type="button" onClick={() => setMode('edit')}>
            Edit<span class="visually-hidden"> {id}</span>
          </button>
          <button type="button" class="danger" onClick={() => setMode('delete')}>
            Delete<span class="visually-hidden"> {id}</span>
          </button>
        </div>
      )}
      {mode === 'delete' && (
        <ConfirmDelete
          id={id}
          onCancel={() => setMode('view')}
          onConfirm={async () => {
            try {
              await api.delete(path);
              onDone(`Deleted ${id}.`);
            } catch (error) {
              setMode('view');
              onError(describeError(error));
            }
          }}
        />
      )}
    </article>
  );
}

function ConfirmDelete({
  id,
  onCancel,
  onConfirm,
}: {
  id: string;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [ref, setRef] = useState<HTMLButtonElement | null>(null);
  useEffect(() => ref?.focus(), [ref]);
  return (
    <div class="confirm" role="group" aria-label={`Delete ${id}?`}>
      <p>Delete this document? This is a database call like a function's, and cannot be undone.</p>
      <button type="button" class="danger" ref={setRef} onClick={() => void onConfirm()}>
        Delete {id}
      </button>
      <button type="button" class="secondary" onClick={onCancel}>
        Keep it
      </button>
    </div>
  );
}

/** A textarea of relaxed Extended JSON; the submit gets the parsed object, and its failure is shown here. */
function DocumentEditor({
  title,
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  title: string;
  initial: string;
  submitLabel: string;
  onSubmit: (document: unknown) => Promise<void>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [area, setArea] = useState<HTMLTextAreaElement | null>(null);
  useEffect(() => area?.focus(), [area]);
  const submit = async (event: Event) => {
    event.preventDefault();
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (parseError) {
      setError(`Not JSON: ${(parseError as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(document);
    } catch (submitError) {
      setError(describeError(submitError));
    } finally {
      setBusy(false);
    }
  };
  const fieldId = `editor-${title.replace(/\W+/g, '-')}`;
  return (
    <form class="editor" onSubmit={(event) => void submit(event)} aria-label={title}>
      <label for={fieldId}>{title} (relaxed Extended JSON)</label>
      <textarea
        id={fieldId}
        ref={setArea}
        value={text}
        rows={Math.min(24, Math.max(6, text.split('\n').length + 1))}
        spellcheck={false}
        onInput={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
        }}
      />
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
