import type { Database } from '../db/types.js';
import { BulwarkError, notFound } from '../errors.js';
import { validateCallbackUrl } from './callbacks.js';
import type { ProblemCatalogue } from './handlers/process.js';
import * as store from './store.js';
import { TERMINAL, type NewTask, type Task } from './types.js';

export interface TaskServiceOptions {
  db: Database;
  /** Kinds the API accepts (workers may run on other machines, so this is configuration). */
  kinds: () => string[];
  catalogue: () => ProblemCatalogue | undefined;
  allowPrivateCallbacks: boolean;
}

export interface TaskService {
  submit(request: NewTask): Promise<{ task: Task; created: boolean }>;
  get(id: string): Promise<Task & { callbacks: Awaited<ReturnType<typeof store.listCallbacks>> }>;
  cancel(id: string): Promise<Task>;
  list: typeof store.listTasks extends (q: never, ...rest: infer R) => infer O ? (...args: R) => O : never;
  logs(id: string, page: { afterId: string | undefined; limit: number }): Promise<store.TaskLogRow[]>;
}

export function createTaskService(o: TaskServiceOptions): TaskService {
  const { db } = o;
  const mustExist = async (id: string) => {
    const t = await store.getTask(db, id);
    if (!t) throw notFound('task', id);
    return t;
  };
  return {
    async submit(request) {
      const kinds = o.kinds();
      if (!kinds.includes(request.kind)) {
        throw new BulwarkError(
          'validation_failed',
          `body field /kind: unknown task kind '${request.kind}'; known kinds: ${kinds.join(', ')}`,
        );
      }
      if (request.kind === 'process') {
        if (!request.problem_id)
          throw new BulwarkError('validation_failed', 'body field /problem_id is required for kind process');
        const catalogue = o.catalogue();
        if (!catalogue) {
          throw new BulwarkError(
            'validation_failed',
            'no problem catalogue is configured (BULWARK_PROBLEM_CATALOGUE); kind process is unavailable',
          );
        }
        if (!catalogue.problems[request.problem_id]) {
          const known = Object.keys(catalogue.problems).slice(0, 20).join(', ');
          throw new BulwarkError(
            'validation_failed',
            `body field /problem_id: unknown problem '${request.problem_id}'; known problems: ${known}`,
          );
        }
      }
      if (request.callback_url) validateCallbackUrl(request.callback_url, o.allowPrivateCallbacks);
      return db.transaction(async (tx) => {
        const result = await store.insertTask(tx, request);
        if (result.created) await db.notify(store.TASK_CHANNEL, result.task.kind, tx);
        return result;
      });
    },
    async get(id) {
      const task = await mustExist(id);
      return { ...task, callbacks: await store.listCallbacks(db, id) };
    },
    async cancel(id) {
      const current = await mustExist(id);
      if (TERMINAL.includes(current.status)) {
        throw new BulwarkError(
          'conflict',
          `task '${id}' is already ${current.status}; only pending or running tasks can be cancelled`,
        );
      }
      return (await store.requestCancel(db, id)) as Task;
    },
    list: (filter, page) => store.listTasks(db, filter, page),
    async logs(id, page) {
      await mustExist(id);
      return store.listLogs(db, id, page);
    },
  };
}
