/**
 * Changes made through the control API (a user added, a fault injected, a file uploaded from a phone, ...), for the
 * console's live stream: with the invocation history's records, they tell an open console what to load again.
 */
export interface ControlChange {
  /** The control route that changed something, e.g. `POST /faults`. */
  route: string;
}

export type ChangeListener = (change: ControlChange) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  notify(change: ControlChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
