/**
 * A minimal typed event: policies expose events instead of logging, and the host application
 * decides what to log or export as metrics.
 *
 * @example
 * const off = breaker.onStateChange(({ from, to }) => log.info({ from, to }, 'breaker'));
 * off(); // unsubscribe
 */
export type Listener<T> = (event: T) => void;
export type Subscribe<T> = (listener: Listener<T>) => () => void;

export class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];

  /** Subscribe; returns the unsubscribe function. */
  readonly subscribe: Subscribe<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  };

  /** Deliver to every listener; a throwing listener never breaks the policy or other listeners. */
  emit(event: T): void {
    if (this.listeners.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // Listener errors are the listener's business.
      }
    }
  }

  get size(): number {
    return this.listeners.length;
  }
}
