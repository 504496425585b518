/**
 * Cold start: with under 30 days of history a service is matched to an archetype by its metadata
 * and name, and the archetype's defaults (TRD FR-2, plus datastore and pipeline) anchor the tiers.
 */
export type Archetype = 'api_gateway' | 'backend_service' | 'datastore' | 'data_pipeline' | 'external_integration';

export const ARCHETYPES: Record<Archetype, { availability: number; p99_ms: number; label: string }> = {
  api_gateway: { availability: 99.95, p99_ms: 200, label: 'API gateway' },
  backend_service: { availability: 99.9, p99_ms: 500, label: 'backend service' },
  datastore: { availability: 99.95, p99_ms: 100, label: 'datastore' },
  data_pipeline: { availability: 99.5, p99_ms: 5000, label: 'data pipeline' },
  external_integration: { availability: 99.5, p99_ms: 2000, label: 'external integration' },
};

export function archetypeOf(service: {
  id: string;
  service_type?: string | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}): Archetype {
  if (service.service_type === 'external') return 'external_integration';
  const declared = service.metadata?.['archetype'];
  if (typeof declared === 'string' && declared in ARCHETYPES) return declared as Archetype;
  const text = `${service.id} ${String(service.metadata?.['runtime'] ?? '')}`.toLowerCase();
  if (/gateway|ingress|edge|bff|frontend-api/.test(text)) return 'api_gateway';
  if (/(^|[-_.\s])(db|database|postgres|mysql|redis|cache|store|kafka|queue|elastic|mongo)/.test(text))
    return 'datastore';
  if (/pipeline|etl|batch|ingest|job/.test(text)) return 'data_pipeline';
  return 'backend_service';
}
