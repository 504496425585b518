import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { httpHandler } from '../../src/tasks/handlers/http.js';
import { processHandler } from '../../src/tasks/handlers/process.js';
import { PermanentTaskError, type TaskContext } from '../../src/tasks/types.js';

function context(problem_id: string | null, signal = new AbortController().signal) {
  const logs: Array<{ level: string; message: string }> = [];
  const metrics: Record<string, number> = {};
  const ctx: TaskContext = {
    task: {
      id: '00000000-0000-4000-8000-000000000001',
      kind: 'process',
      attempts: 1,
      problem_id,
      parameters: {},
      agent_config: null,
      max_steps: 5,
      timeout_minutes: 1,
    },
    signal,
    log: (level, message) => logs.push({ level, message }),
    metric: (n, v) => {
      metrics[n] = v;
    },
    progress: () => {},
    checkpoint: { save: async () => {}, load: async () => undefined },
  };
  return { ctx, logs, metrics };
}

describe('process handler', () => {
  const catalogue = {
    problems: {
      ok: {
        command: 'sh',
        args: [
          '-c',
          'echo out line; echo err line >&2; echo "{\\"steps\\":$BULWARK_MAX_STEPS}" > "$BULWARK_RUN_DIR/result.json"',
        ],
        env: {},
      },
      fails: { command: 'sh', args: ['-c', 'exit 3'], env: {} },
      missing: { command: '/nonexistent/binary', args: [], env: {} },
    },
  };
  const handler = processHandler(catalogue);

  it('runs a catalogue problem in its own directory, logs its output and returns result.json', async () => {
    const { ctx, logs, metrics } = context('ok');
    const result = await handler({}, ctx);
    expect(result).toEqual({ exit_code: 0, result: { steps: 5 } });
    expect(logs).toEqual(
      expect.arrayContaining([
        { level: 'info', message: 'out line' },
        { level: 'warn', message: 'err line' },
      ]),
    );
    expect(metrics.exit_code).toBe(0);
  });

  it('a non-zero exit fails the attempt; an unknown problem or command is permanent', async () => {
    await expect(handler({}, context('fails').ctx)).rejects.toThrow(/exited with 3/);
    await expect(handler({}, context('nope').ctx)).rejects.toBeInstanceOf(PermanentTaskError);
    await expect(handler({}, context('missing').ctx)).rejects.toBeInstanceOf(PermanentTaskError);
  });
});

describe('http handler', () => {
  it('calls a configured target by name and refuses unknown ones', async () => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        res
          .writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ got: JSON.parse(body || '{}') }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const handler = httpHandler({
        echo: { url: `${base}/echo`, method: 'POST', headers: {} },
        broken: { url: `${base}/fail`, method: 'POST', headers: {} },
      });
      await expect(handler({ target: 'echo', body: { a: 1 } }, context(null).ctx)).resolves.toEqual({
        status: 200,
        body: { got: { a: 1 } },
      });
      await expect(handler({ target: 'broken' }, context(null).ctx)).rejects.toMatchObject({ status: 503 });
      await expect(handler({ target: 'elsewhere' }, context(null).ctx)).rejects.toBeInstanceOf(PermanentTaskError);
    } finally {
      server.close();
    }
  });
});
