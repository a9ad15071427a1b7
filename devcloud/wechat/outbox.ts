/**
 * What devcloud's WeChat would have delivered to someone: subscription and customer-service messages sent by cloud
 * calls, the asynchronous results of content checks (WeChat pushes them to the mini-program's message-push URL),
 * and the links the functions generated. Listed by the control API (GET /devcloud/outbox), newest last.
 */
import { randomUUID } from 'crypto';
import type { OutboxEntry } from '../protocol';

/** Entries kept (the newest): a long-running devcloud keeps its memory flat. */
const CAPACITY = 1000;

export class Outbox {
  private entries: OutboxEntry[] = [];

  add(entry: Omit<OutboxEntry, 'id' | 'at'>): OutboxEntry {
    const full: OutboxEntry = { id: randomUUID(), at: new Date().toISOString(), ...entry };
    this.entries.push(full);
    if (this.entries.length > CAPACITY + 100) this.entries = this.entries.slice(-CAPACITY);
    return full;
  }

  /** Entries oldest first, optionally of one kind or for one recipient. */
  list(filter: { kind?: string; touser?: string } = {}): OutboxEntry[] {
    return this.entries
      .filter(
        (entry) =>
          (filter.kind === undefined || entry.kind === filter.kind) &&
          (filter.touser === undefined || entry.touser === filter.touser),
      )
      .map((entry) => structuredClone(entry));
  }

  clear(): void {
    this.entries = [];
  }
}
