import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServiceList, registerChaosExecutorCommand } from '../../../src/chaos/executor/cli.js';
import { closeServer } from '../../../src/chaos/mesh/service.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

function program(): {
  program: Command;
  output: () => string;
  ready: () => { url: string; entryUrl: string } | undefined;
} {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  let handle: { url: string; entryUrl: string } | undefined;
  const p = new Command('bulwark')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerChaosExecutorCommand(p, {
    out,
    handleSignals: false,
    onReady: (h) => {
      handle = h;
      stops.push(h.stop);
    },
  });
  return { program: p, output: () => text, ready: () => handle };
}

describe('chaos executor command', () => {
  it('--mesh starts the demo mesh behind the executor and prints both URLs', async () => {
    const cli = program();
    await cli.program.parseAsync(['chaos', 'executor', '--mesh', '--port', '0'], { from: 'user' });
    const handle = cli.ready();
    expect(handle).toBeDefined();
    expect(cli.output()).toContain(handle?.url);
    expect(cli.output()).toContain(handle?.entryUrl);
    const health = (await (await fetch(`${handle?.url}/health`)).json()) as {
      status: string;
      services: Record<string, unknown>;
    };
    expect(health.status).toBe('ok');
    expect(Object.keys(health.services)).toHaveLength(7);
    const checkout = await fetch(handle?.entryUrl ?? '', { method: 'POST' });
    expect(checkout.status).toBe(200);
  });

  it('--services puts proxies in front of existing services', async () => {
    const server: Server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => closeServer(server));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cli = program();
    await cli.program.parseAsync(
      ['chaos', 'executor', '--services', `web=${target}`, '--port', '0', '--entry-path', '/'],
      {
        from: 'user',
      },
    );
    const res = await fetch(cli.ready()?.entryUrl ?? '');
    expect(await res.text()).toBe('hello');
  });

  it('fails with a usage error without --mesh or --services, and on a malformed list', async () => {
    const none = await program()
      .program.parseAsync(['chaos', 'executor', '--port', '0'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(CommanderError);
    expect((none as CommanderError).exitCode).toBe(2);
    const bad = await program()
      .program.parseAsync(['chaos', 'executor', '--services', 'web'], { from: 'user' })
      .catch((e: unknown) => e);
    expect((bad as CommanderError).code).toBe('commander.invalidArgument');
  });

  it('parses service lists', () => {
    expect(parseServiceList('a=http://h:1, b=http://h:2/x')).toEqual({ a: 'http://h:1', b: 'http://h:2/x' });
    for (const bad of ['', 'a', '=http://h', 'a=ftp://h', 'a=http://h,a=http://g', 'a=not a url']) {
      expect(() => parseServiceList(bad), bad).toThrow();
    }
  });
});
