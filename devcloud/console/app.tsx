/**
 * The console's frame: header, navigation (hash routes, so each section has a link and the back button works),
 * the live stream from GET /devcloud/events, and the section shown.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { parseRoute, routeHref, SECTIONS, type Route } from './routes';
import { DataView } from './views/data';
import { DatabaseView } from './views/database';
import { FunctionsView } from './views/functions';
import { StorageView } from './views/storage';
import { UsersView } from './views/users';
import { WeChatView } from './views/wechat';
import type { InvocationPage, InvocationRecord } from '../protocol';

type LiveState = 'connecting' | 'live' | 'reconnecting';

/** Invocations the page keeps (devcloud keeps its newest 500; the page keeps what it saw, up to this). */
const KEPT_INVOCATIONS = 1000;

interface Info {
  url: string;
  appid: string;
  envId: string;
}

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [invocations, setInvocations] = useState<InvocationRecord[]>([]);
  const [capacity, setCapacity] = useState(0);
  const [live, setLive] = useState<LiveState>('connecting');
  const [info, setInfo] = useState<Info>();
  /** Bumped when devcloud reports a change: every section reloads what it shows. */
  const [version, setVersion] = useState(0);
  const pendingBump = useRef<number | undefined>(undefined);
  const firstRoute = useRef(true);

  const bump = useCallback(() => {
    // Changes come in bursts (a login is several calls): reload once per burst.
    if (pendingBump.current !== undefined) return;
    pendingBump.current = window.setTimeout(() => {
      pendingBump.current = undefined;
      setVersion((n) => n + 1);
    }, 120);
  }, []);

  const merge = useCallback((records: InvocationRecord[]) => {
    setInvocations((current) => {
      const bySeq = new Map(current.map((record) => [record.seq, record]));
      for (const record of records) {
        const known = bySeq.get(record.seq);
        // A list fetched earlier can hold an older copy than the stream has already delivered.
        if (known?.status === 'done' && record.status === 'running') continue;
        bySeq.set(record.seq, record);
      }
      return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, KEPT_INVOCATIONS);
    });
  }, []);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Opened from the navigation: move focus to the section's heading, so keyboard and screen reader users start there.
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('view-title')?.focus();
  }, [route.section]);

  useEffect(() => {
    api.get<Info>('/info').then(setInfo, () => undefined);
    const source = new EventSource('/devcloud/events');
    source.onopen = () => {
      setLive('live');
      // (Re)connected: whatever happened while the stream was down is in the list.
      api.get<InvocationPage>('/invocations').then(
        (page) => {
          setCapacity(page.capacity);
          merge(page.invocations);
        },
        () => undefined,
      );
      bump();
    };
    // EventSource reconnects by itself (devcloud asks for a retry after 1 s).
    source.onerror = () => setLive('reconnecting');
    source.addEventListener('invocation', (event) => {
      const record = JSON.parse((event as MessageEvent<string>).data) as InvocationRecord;
      merge([record]);
      if (record.status === 'done') bump();
    });
    source.addEventListener('change', bump);
    return () => source.close();
  }, [bump, merge]);

  // The skip link moves focus to the section without touching the hash (which holds the route).
  useEffect(() => {
    const skip = document.querySelector<HTMLAnchorElement>('.skip-link');
    const onSkip = (event: Event) => {
      event.preventDefault();
      document.getElementById('main')?.focus();
    };
    skip?.addEventListener('click', onSkip);
    return () => skip?.removeEventListener('click', onSkip);
  }, []);

  const section = SECTIONS.find((candidate) => candidate.id === route.section) ?? SECTIONS[0];
  useEffect(() => {
    document.title = `${section.label} · devcloud console`;
  }, [section]);

  return (
    <>
      <header class="topbar">
        <h1>devcloud console</h1>
        {info && (
          <p class="env">
            <span>appid {info.appid}</span> <span>env {info.envId}</span>
          </p>
        )}
        <p class={`live live-${live}`} role="status">
          {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </p>
      </header>
      <nav class="sections" aria-label="Sections">
        <ul>
          {SECTIONS.map((candidate) => (
            <li key={candidate.id}>
              <a href={routeHref(candidate.id)} aria-current={candidate.id === route.section ? 'page' : undefined}>
                {candidate.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {route.section === 'functions' && <FunctionsView invocations={invocations} capacity={capacity} />}
        {route.section === 'database' && <DatabaseView version={version} collection={route.detail} />}
        {route.section === 'storage' && <StorageView version={version} />}
        {route.section === 'users' && <UsersView version={version} />}
        {route.section === 'wechat' && <WeChatView version={version} />}
        {route.section === 'data' && <DataView version={version} />}
      </main>
    </>
  );
}
