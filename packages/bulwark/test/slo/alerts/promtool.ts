import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * promtool for the SLO alert tests. Without it the tests that need it skip loudly — unless
 * BULWARK_REQUIRE_PROMETHEUS=1 (CI), where a missing promtool fails the run.
 */
export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

export function promtoolAvailable(): boolean {
  if (existsSync(PROMTOOL)) return true;
  if (process.env.BULWARK_REQUIRE_PROMETHEUS === '1') {
    throw new Error(`promtool is required (BULWARK_REQUIRE_PROMETHEUS=1) but ${PROMTOOL} does not exist`);
  }
  console.warn(
    `\n*** promtool not found at ${PROMTOOL} (apt-get install prometheus): SLO rule checks with promtool are SKIPPED ***\n`,
  );
  return false;
}

export interface PromtoolResult {
  code: number;
  output: string;
}

export function runPromtool(args: string[], cwd: string): Promise<PromtoolResult> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-slo-alerts-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `promtool check rules` on a rule file text. */
export async function checkRules(rulesYaml: string): Promise<PromtoolResult> {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'rules.yml'), rulesYaml);
    return await runPromtool(['check', 'rules', 'rules.yml'], dir);
  } finally {
    cleanup();
  }
}

export interface SeriesInput {
  series: string;
  values: string;
}

export interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: Array<{ labels: string; value: number }>;
}

/** `promtool test rules` with one test case over the given rules, input series and PromQL expectations. */
export async function testRules(
  rulesYaml: string,
  inputSeries: SeriesInput[],
  exprTests: ExprTest[],
): Promise<PromtoolResult> {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'rules.yml'), rulesYaml);
    const test = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: inputSeries, promql_expr_test: exprTests }],
    };
    writeFileSync(join(dir, 'test.yml'), stringify(test, { lineWidth: 0 }));
    return await runPromtool(['test', 'rules', 'test.yml'], dir);
  } finally {
    cleanup();
  }
}

/** Expectation that an alert is firing (count 1) or not (no sample) at a time. */
export function alertFiring(alertname: string, evalTime: string, firing: boolean, state = 'firing'): ExprTest {
  return {
    expr: `count(ALERTS{alertname=${JSON.stringify(alertname)}, alertstate=${JSON.stringify(state)}})`,
    eval_time: evalTime,
    exp_samples: firing ? [{ labels: '{}', value: 1 }] : [],
  };
}
