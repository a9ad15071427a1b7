/**
 * Import and export, in `--import` and `--export-on-exit`'s format: one `<collection>.json` file per collection, an
 * array of documents in relaxed Extended JSON. An import is checked whole and written in one transaction.
 */
import { useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { ErrorMessage, Loading, StatusMessage, useResource, ViewHeading } from '../ui';
import type { ExportEntry } from '../../protocol';

export function DataView({ version }: { version: number }) {
  const entries = useResource(() => api.get<ExportEntry[]>('/export'), version);
  const [files, setFiles] = useState<File[]>([]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const importFiles = async (event: Event) => {
    event.preventDefault();
    if (files.length === 0) {
      setError('Choose one or more <collection>.json files first.');
      return;
    }
    setBusy(true);
    try {
      const payload = await Promise.all(files.map(async (file) => ({ name: file.name, text: await file.text() })));
      const { imported } = await api.post<{ imported: Record<string, number> }>('/import', { files: payload });
      setError(undefined);
      setStatus(
        `Imported ${Object.entries(imported)
          .map(([collection, count]) => `${collection} (${count})`)
          .join(', ')}.`,
      );
      entries.reload();
    } catch (importError) {
      setStatus('');
      setError(describeError(importError));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="view-title">
      <ViewHeading>Import &amp; export</ViewHeading>
      <p class="lead">
        The files <code>devcloud --export-on-exit DIR</code> writes and <code>devcloud --import DIR</code> reads: one{' '}
        <code>&lt;collection&gt;.json</code> per collection, an array of documents in relaxed Extended JSON (dates as{' '}
        <code>{'{"$date": "…"}'}</code>). Exports hold every value, secrets included, as the on-exit export does.
      </p>
      <h3>Export</h3>
      <ErrorMessage error={entries.error} />
      {!entries.data ? (
        <Loading what="collections" />
      ) : entries.data.length === 0 ? (
        <p class="empty">No collections to export.</p>
      ) : (
        <ul class="exports">
          {entries.data.map((entry) => (
            <li key={entry.collection}>
              <a href={`/devcloud/export/${encodeURIComponent(entry.file)}`} download={entry.file}>
                Download {entry.file}
              </a>{' '}
              <span class="muted">
                ({entry.count} document{entry.count === 1 ? '' : 's'})
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3>Import</h3>
      <form class="import" onSubmit={(event) => void importFiles(event)}>
        <label>
          Collection files{' '}
          <span class="muted">(&lt;collection&gt;.json; a document replaces the one with its _id)</span>
          <input
            type="file"
            accept=".json,application/json"
            multiple
            onChange={(event) => setFiles([...(event.currentTarget.files ?? [])])}
          />
        </label>
        <button type="submit" disabled={busy}>
          Import
        </button>
      </form>
      <ErrorMessage error={error} />
      {status && <StatusMessage>{status}</StatusMessage>}
    </section>
  );
}
