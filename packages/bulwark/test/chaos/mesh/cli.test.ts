import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDemoMeshCommand } from '../../../src/chaos/mesh/cli.js';
import { MESH_SERVICES } from '../../../src/chaos/mesh/demo-mesh.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

describe('demo mesh command', () => {
  it('adds `mesh` under an existing demo command without running the demo action', async () => {
    let demoRan = false;
    const program = new Command('bulwark').exitOverride();
    const demo = program
      .command('demo')
      .option('-p, --port <port>', 'port')
      .action(() => {
        demoRan = true;
      });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    let entry = '';
    registerDemoMeshCommand(demo, {
      out,
      handleSignals: false,
      onReady: (h) => {
        entry = h.entry;
        stops.push(h.stop);
      },
    });
    await program.parseAsync(['demo', 'mesh', '--seed', '3'], { from: 'user' });
    expect(demoRan).toBe(false);
    for (const s of MESH_SERVICES) expect(text).toContain(s);
    const res = await fetch(`${entry}/checkout`, { method: 'POST' });
    expect(res.status).toBe(200);
  });
});
