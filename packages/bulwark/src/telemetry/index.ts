import type { Config } from '../config.js';
import { PrometheusSource } from './prometheus.js';
import { SyntheticSource } from './synthetic.js';
import type { TelemetrySource } from './types.js';

export type { TelemetrySource } from './types.js';

/** The telemetry source the configuration selects (undefined: none configured). */
export function createTelemetrySource(config: Config): TelemetrySource | undefined {
  if (config.telemetry === 'prometheus' && config.prometheusUrl) {
    return new PrometheusSource({ baseUrl: config.prometheusUrl });
  }
  if (config.telemetry === 'synthetic') return new SyntheticSource({ seed: 42 });
  return undefined;
}
