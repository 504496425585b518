import { seededRandom } from '@bulwark/resilience';
import type { IngestEdge, IngestNode, IngestRequest } from '../slo/graph/store.js';

/**
 * A realistic, seeded service estate for the demo, tests and benchmarks: gateways in front,
 * backends calling backends (mostly downward, so the graph is nearly acyclic), datastores in
 * redundant pairs, caches as soft dependencies, external APIs with published SLAs, and a few
 * cycles — the shape of a real microservice estate, from 50 to 5,000 services.
 */
export interface TopologyOptions {
  services: number;
  seed?: number;
}

const TEAMS = [
  'payments',
  'checkout',
  'catalog',
  'search',
  'identity',
  'shipping',
  'growth',
  'platform',
  'data',
  'support',
];
const WORDS = [
  'order',
  'cart',
  'price',
  'stock',
  'user',
  'auth',
  'ship',
  'rate',
  'promo',
  'review',
  'media',
  'notify',
  'ledger',
  'quote',
  'fraud',
  'profile',
];
const EXTERNAL = [
  ['stripe-api', 0.9999],
  ['twilio-api', 0.9995],
  ['sendgrid-api', 0.999],
  ['maps-api', 0.9995],
  ['tax-api', 0.999],
] as const;

export function generateTopology(o: TopologyOptions): IngestRequest {
  const n = Math.max(10, Math.min(5000, Math.floor(o.services)));
  const rand = seededRandom(o.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const nodes: IngestNode[] = [];
  const edges: IngestEdge[] = [];
  const edgeKeys = new Set<string>();
  const addEdge = (e: IngestEdge) => {
    const key = `${e.source}>${e.target}`;
    if (e.source === e.target || edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(e);
  };

  const gateways = Math.max(1, Math.round(n * 0.02));
  const externals = Math.min(EXTERNAL.length, Math.max(1, Math.round(n * 0.01)));
  const datastorePairs = Math.max(1, Math.round(n * 0.08));
  const caches = Math.max(1, Math.round(n * 0.04));
  const backends = n - gateways - externals - datastorePairs * 2 - caches;

  const name = (prefix: string, i: number) => `${WORDS[i % WORDS.length]}-${prefix}-${Math.floor(i / WORDS.length)}`;
  const gw = Array.from({ length: gateways }, (_, i) => `edge-gateway-${i}`);
  const be = Array.from({ length: backends }, (_, i) => name('svc', i));
  const dbs = Array.from({ length: datastorePairs }, (_, i) => [name('db', i) + '-a', name('db', i) + '-b'] as const);
  const cs = Array.from({ length: caches }, (_, i) => name('cache', i));
  const ex = EXTERNAL.slice(0, externals);

  for (const id of gw) nodes.push({ service_id: id, metadata: { team: 'platform', criticality: 'critical', tier: 0 } });
  be.forEach((id, i) => {
    nodes.push({
      service_id: id,
      metadata: {
        team: pick(TEAMS),
        criticality: i < backends * 0.2 ? 'high' : pick(['low', 'medium', 'medium', 'high'] as const),
        tier: 1 + Math.floor(rand() * 3),
      },
    });
  });
  for (const [a, b] of dbs) {
    const team = pick(TEAMS);
    nodes.push(
      { service_id: a, metadata: { team, criticality: 'high', tier: 1 } },
      { service_id: b, metadata: { team, criticality: 'high', tier: 1 } },
    );
  }
  for (const id of cs) nodes.push({ service_id: id, metadata: { team: 'platform', criticality: 'medium', tier: 2 } });
  for (const [id, sla] of ex)
    nodes.push({ service_id: id, metadata: { service_type: 'external', published_sla: sla, criticality: 'high' } });

  // Gateways fan out to the first fifth of the backends.
  for (const g of gw) {
    for (let k = 0; k < Math.min(8, be.length); k++) {
      addEdge({
        source: g,
        target: be[Math.floor(rand() * Math.max(1, be.length * 0.2))] as string,
        attributes: { criticality: 'hard', communication_mode: 'sync', protocol: 'http', timeout_ms: 5000 },
      });
    }
  }
  // Backends call backends further down the list (a DAG), a datastore pair, sometimes a cache or an external API.
  be.forEach((id, i) => {
    const calls = Math.floor(rand() * 4);
    for (let k = 0; k < calls && i + 1 < be.length; k++) {
      const j = i + 1 + Math.floor(rand() * Math.min(40, be.length - i - 1));
      addEdge({
        source: id,
        target: be[j] as string,
        attributes: {
          criticality: rand() < 0.75 ? 'hard' : 'soft',
          communication_mode: rand() < 0.85 ? 'sync' : 'async',
          protocol: pick(['grpc', 'http', 'http', 'kafka']),
          timeout_ms: pick([500, 1000, 2000, 5000]),
        },
      });
    }
    if (rand() < 0.6) {
      const [a, b] = pick(dbs);
      addEdge({
        source: id,
        target: a,
        attributes: { criticality: 'hard', redundancy_group: `${a.slice(0, -2)}`, protocol: 'postgres' },
      });
      addEdge({
        source: id,
        target: b,
        attributes: { criticality: 'hard', redundancy_group: `${a.slice(0, -2)}`, protocol: 'postgres' },
      });
    }
    if (rand() < 0.3) addEdge({ source: id, target: pick(cs), attributes: { criticality: 'soft', protocol: 'redis' } });
    if (rand() < 0.05)
      addEdge({
        source: id,
        target: pick(ex)[0],
        attributes: { criticality: rand() < 0.7 ? 'hard' : 'degraded', protocol: 'http', timeout_ms: 3000 },
      });
  });
  // A few cycles, as real estates have (callbacks, mutual lookups).
  const cycleCount = Math.max(1, Math.round(n / 250));
  for (let c = 0; c < cycleCount && be.length > 10; c++) {
    const i = Math.floor(rand() * (be.length - 5));
    const j = i + 1 + Math.floor(rand() * 4);
    addEdge({ source: be[i] as string, target: be[j] as string, attributes: { criticality: 'hard' } });
    addEdge({ source: be[j] as string, target: be[i] as string, attributes: { criticality: 'soft' } });
  }
  return { source: 'manual', nodes, edges };
}
