#!/usr/bin/env node
// The `bulwark` command. It loads the compiled CLI, so that the command exists (and npm links it)
// before the first build; without a build it says how to make one.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('bulwark: the CLI is not built yet; run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(main.href);
