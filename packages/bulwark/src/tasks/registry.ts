import type { TaskHandler } from './types.js';

/** Handlers by task kind. Workers claim only the kinds they have handlers for. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, TaskHandler>();

  register(kind: string, handler: TaskHandler): this {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(kind)) throw new RangeError(`invalid task kind '${kind}'`);
    this.handlers.set(kind, handler);
    return this;
  }

  get(kind: string): TaskHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
