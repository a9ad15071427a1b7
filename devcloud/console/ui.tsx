/** Small pieces the views share: loading data, JSON and time display, messages. */
import { Fragment, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api';

export interface Resource<T> {
  data?: T;
  error?: string;
  reload(): void;
}

/**
 * Loads `load()` now and again whenever `version` changes (devcloud reported a change); the last data stays on
 * screen while a reload runs, and an answer that arrives after a newer one is dropped.
 */
export function useResource<T>(load: () => Promise<T>, version: number, key = ''): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [manual, setManual] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    latest.current += 1;
    const ticket = latest.current;
    load().then(
      (data) => ticket === latest.current && setState({ data }),
      (error: unknown) => ticket === latest.current && setState((old) => ({ ...old, error: describeError(error) })),
    );
    // `load` is a new closure on each render: `key` names what it loads, so a change of it loads again.
  }, [version, manual, key]);
  const reload = useCallback(() => setManual((n) => n + 1), []);
  return { ...state, reload };
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A time in the page's locale, the full ISO instant on hover and for assistive technology. */
export function Time({ iso }: { iso: string | undefined }) {
  if (!iso) return <span>—</span>;
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {date.toLocaleTimeString(undefined, { hour12: false })}
    </time>
  );
}

export function ErrorMessage({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="message error" role="alert">
      {error}
    </p>
  );
}

/** A polite live region: announced when its text changes. */
export function StatusMessage({ children }: { children: ComponentChildren }) {
  return (
    <p class="message status" role="status">
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function shortId(id: string, keep = 10): string {
  return id.length > keep + 1 ? `${id.slice(0, keep)}…` : id;
}

/** The heading each view starts with: focused when the view is opened from the navigation. */
export function ViewHeading({ children }: { children: ComponentChildren }) {
  return (
    <h2 id="view-title" tabIndex={-1}>
      {children}
    </h2>
  );
}

/** One column of a DataTable: its header, and what a row shows in it. */
export interface Column<T> {
  header: ComponentChildren;
  /** The cell's content (unused when the table renders its rows itself). */
  cell?: (row: T) => ComponentChildren;
  /** The cell's class, for the style sheet and for tests. */
  class?: string;
}

/**
 * The console's one table: a caption for assistive technology, a header row, one row per item, and `empty`
 * instead when there is none. `rowProps` gives a row its class and data attributes; `renderRow` draws a row itself
 * (an invocation is a row and its details).
 */
export function DataTable<T>({
  caption,
  class: className,
  columns,
  rows,
  rowKey,
  rowProps,
  renderRow,
  empty,
}: {
  caption: ComponentChildren;
  class?: string;
  columns: Array<Column<T>>;
  rows: readonly T[];
  rowKey: (row: T, index: number) => string | number;
  rowProps?: (row: T) => Record<string, string | number>;
  renderRow?: (row: T) => ComponentChildren;
  empty: ComponentChildren;
}) {
  if (rows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <table class={className}>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column, index) => (
            <th key={index} scope="col">
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) =>
          renderRow ? (
            <Fragment key={rowKey(row, index)}>{renderRow(row)}</Fragment>
          ) : (
            <tr key={rowKey(row, index)} {...rowProps?.(row)}>
              {columns.map((column, cellIndex) => (
                <td key={cellIndex} class={column.class}>
                  {column.cell?.(row)}
                </td>
              ))}
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}
