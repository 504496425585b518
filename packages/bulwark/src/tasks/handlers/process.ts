import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfigFile } from '../../config-file.js';
import { PermanentTaskError, type TaskHandler } from '../types.js';

/**
 * The `process` handler runs a problem from the operator's catalogue — never a command from the
 * request. Each run gets a fresh temporary directory (also its working directory unless the
 * catalogue names one), stdout/stderr lines become task logs, and the exit code plus an optional
 * `result.json` written into the run directory become the result.
 */
const problemSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    timeout_seconds: z
      .number()
      .int()
      .positive()
      .max(180 * 60)
      .optional(),
    description: z.string().optional(),
  })
  .strict();

export const catalogueSchema = z
  .object({ problems: z.record(z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/), problemSchema) })
  .strict();
export type ProblemCatalogue = z.infer<typeof catalogueSchema>;

export function loadCatalogue(path: string): Promise<ProblemCatalogue> {
  return loadConfigFile(path, catalogueSchema, 'problem catalogue');
}

export function processHandler(catalogue: ProblemCatalogue): TaskHandler {
  return async (payload, ctx) => {
    const problemId = ctx.task.problem_id;
    const problem = problemId ? catalogue.problems[problemId] : undefined;
    if (!problem) throw new PermanentTaskError(`problem '${problemId}' is not in the catalogue`);
    const runDir = await mkdtemp(join(tmpdir(), `bulwark-task-${ctx.task.id.slice(0, 8)}-`));
    try {
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...problem.env,
        BULWARK_TASK_ID: ctx.task.id,
        BULWARK_ATTEMPT: String(ctx.task.attempts),
        BULWARK_RUN_DIR: runDir,
        BULWARK_PARAMETERS: JSON.stringify(payload),
        BULWARK_AGENT_CONFIG: JSON.stringify(ctx.task.agent_config ?? {}),
        BULWARK_MAX_STEPS: String(ctx.task.max_steps ?? ''),
      };
      const child = spawn(problem.command, problem.args, {
        cwd: problem.cwd ? resolve(problem.cwd) : runDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: ctx.signal,
        killSignal: 'SIGTERM',
        ...(problem.timeout_seconds ? { timeout: problem.timeout_seconds * 1000 } : {}),
      });
      const pipe = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') => {
        let buf = '';
        stream?.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            ctx.log(level, buf.slice(0, nl), { stream: level === 'info' ? 'stdout' : 'stderr' });
            buf = buf.slice(nl + 1);
            nl = buf.indexOf('\n');
          }
        });
        stream?.on('end', () => {
          if (buf) ctx.log(level, buf, { stream: level === 'info' ? 'stdout' : 'stderr' });
        });
      };
      pipe(child.stdout, 'info');
      pipe(child.stderr, 'warn');
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
        child.on('error', (err) => {
          if ((err as { code?: string }).code === 'ENOENT')
            rej(new PermanentTaskError(`command '${problem.command}' not found`));
          else if (err.name !== 'AbortError') rej(err);
        });
        child.on('close', (c, s) => res({ code: c, signal: s }));
      });
      let result: unknown = null;
      try {
        result = JSON.parse(await readFile(join(runDir, 'result.json'), 'utf8'));
      } catch {
        // result.json is optional
      }
      ctx.metric('exit_code', code ?? -1);
      if (code !== 0) {
        throw Object.assign(new Error(`problem '${problemId}' exited with ${code ?? `signal ${signal}`}`), {
          exitCode: code,
          result,
        });
      }
      return { exit_code: code, result };
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  };
}
