import { CircuitBreaker, consecutiveFailures, constantBackoff, FakeClock, retry } from '@bulwark/resilience';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createResilienceMetrics } from './resilience-metrics.js';

describe('resilience metrics adapter', () => {
  it('exports breaker transitions, state and rejections, and retries', async () => {
    const registry = new Registry();
    const metrics = createResilienceMetrics(registry);
    const breaker = new CircuitBreaker({ policy: consecutiveFailures(1), clock: new FakeClock() });
    metrics.breaker('prometheus', breaker);
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await breaker.execute(async () => 1).catch(() => {});
    const policy = retry({ maxAttempts: 2, backoff: constantBackoff(0) });
    metrics.retry('callbacks', policy);
    await policy.execute(() => Promise.reject(Object.assign(new Error('503'), { status: 503 }))).catch(() => {});
    const text = await registry.metrics();
    expect(text).toContain('bulwark_circuit_state{breaker="prometheus",state="open"} 1');
    expect(text).toContain('bulwark_circuit_state{breaker="prometheus",state="closed"} 0');
    expect(text).toContain('bulwark_circuit_transitions_total{breaker="prometheus",from="closed",to="open"} 1');
    expect(text).toContain('bulwark_circuit_rejections_total{breaker="prometheus"} 1');
    expect(text).toContain('bulwark_retries_total{policy="callbacks"} 1');
    expect(text).toContain('bulwark_retry_give_ups_total{policy="callbacks",reason="exhausted"} 1');
  });
});
