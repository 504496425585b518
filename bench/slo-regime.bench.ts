/**
 * Cost of regime-change detection (packages/bulwark/src/slo/recommend/regime.ts) on hourly
 * histories of 30, 90 and 365 days with a ×4 step 20 days before the end, and of building the
 * daily counts it reads. Mean over 50 calls after 5 warm-up calls.
 * Run: node --conditions=source --import tsx bench/slo-regime.bench.ts
 */
import { seededRandom } from '@bulwark/resilience';
import { toDays } from '../packages/bulwark/src/slo/recommend/availability.js';
import { detectRegimeChange } from '../packages/bulwark/src/slo/recommend/regime.js';
import type { AvailabilityPoint } from '../packages/bulwark/src/telemetry/types.js';

const T0 = Date.UTC(2026, 6, 1);
const rand = seededRandom(1);
const CALLS = 50;

function mean(fn: () => unknown): number {
  for (let i = 0; i < 5; i++) fn();
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) fn();
  return (performance.now() - t) / CALLS;
}

for (const days of [30, 90, 365]) {
  const points: AvailabilityPoint[] = [];
  for (let h = 0; h < days * 24; h++) {
    const total = 100_000;
    const rate = (h >= (days - 20) * 24 ? 0.004 : 0.001) * (0.9 + 0.2 * rand());
    points.push({ start: new Date(T0 + h * 3_600_000), good: total - Math.round(total * rate), total });
  }
  const history = toDays(points);
  const found = detectRegimeChange(history);
  if (found?.index !== days - 20) throw new Error(`expected the step on day ${days - 20}, got ${found?.index}`);
  console.log(
    `${days} days hourly: detectRegimeChange ${mean(() => detectRegimeChange(history)).toFixed(2)} ms, toDays ${mean(() => toDays(points)).toFixed(2)} ms`,
  );
}
