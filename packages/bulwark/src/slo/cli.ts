import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { api, apiText, print, table } from '../cli-api.js';
import { describeProblem, validateSpec } from './alerts/index.js';

/**
 * `bulwark slo …`: the SLO engine from a terminal, through a running server's API
 * (BULWARK_URL, BULWARK_API_KEY).
 */
const percent = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw new InvalidArgumentError('must be a percentage in (0, 100]');
  return n;
};
const days = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 7 || n > 365) throw new InvalidArgumentError('must be an integer between 7 and 365');
  return n;
};

interface Tier {
  target?: number;
  target_ms?: number;
  percentile?: string;
  estimated_breach_probability?: number;
  error_budget_monthly_minutes?: number;
  confidence_interval?: [number, number];
}
interface Recommendation {
  recommendation_id: string;
  sli_type: 'availability' | 'latency';
  tiers: Record<string, Tier>;
  explanation: {
    summary: string;
    warnings?: string[];
    feature_attribution?: Array<{ feature: string; contribution: number }>;
    counterfactuals?: Array<{ condition: string; result: string }>;
  };
}
interface RecommendationResponse {
  service_id: string;
  confidence: string;
  cold_start: boolean;
  stale: boolean;
  stale_reason?: string;
  cached: boolean;
  data_quality: { confidence_note: string };
  recommendations: Recommendation[];
}

const TIERS = ['conservative', 'balanced', 'aggressive'];
const prob = (p: number | undefined) => (p === undefined ? '-' : `${(p * 100).toFixed(1)}%`);

/** A percentage at the precision targets are set at (0.01, or 0.001 at 99.99 and above). */
const pct = (x: number) => x.toFixed(x >= 99.99 ? 3 : 2);

export function formatRecommendations(r: RecommendationResponse): string {
  const out: string[] = [];
  out.push(
    `${r.service_id}: confidence ${r.confidence}${r.cold_start ? ' (cold start)' : ''}${r.cached ? ', cached' : ''}${r.stale ? `, STALE (${r.stale_reason})` : ''}`,
  );
  out.push(r.data_quality.confidence_note, '');
  for (const rec of r.recommendations) {
    out.push(`${rec.sli_type.toUpperCase()}  (recommendation ${rec.recommendation_id})`);
    if (rec.sli_type === 'availability') {
      out.push(
        table(
          ['tier', 'target %', 'budget min/30d', 'breach prob', '95% CI'],
          TIERS.map((t) => {
            const x = rec.tiers[t] ?? {};
            return [
              t,
              x.target,
              x.error_budget_monthly_minutes?.toFixed(1),
              prob(x.estimated_breach_probability),
              x.confidence_interval ? `${pct(x.confidence_interval[0])} – ${pct(x.confidence_interval[1])}` : '-',
            ];
          }),
        ),
      );
    } else {
      out.push(
        table(
          ['tier', 'percentile', 'target ms', 'breach prob'],
          TIERS.map((t) => {
            const x = rec.tiers[t] ?? {};
            return [t, x.percentile, x.target_ms, prob(x.estimated_breach_probability)];
          }),
        ),
      );
    }
    out.push('', rec.explanation.summary);
    const top = (rec.explanation.feature_attribution ?? []).slice(0, 4);
    if (top.length > 0) {
      out.push(
        `attribution: ${top.map((f) => `${f.feature} ${f.contribution >= 0 ? '+' : ''}${Number(f.contribution.toFixed(4))}`).join(', ')}`,
      );
    }
    for (const c of rec.explanation.counterfactuals ?? []) out.push(`what-if: ${c.condition}: ${c.result}`);
    for (const w of rec.explanation.warnings ?? []) out.push(`warning: ${w}`);
    out.push('');
  }
  return out.join('\n');
}

interface ImpactResponse {
  summary: { recommendation: string; total_impacted: number; slos_at_risk: number };
  impacted_services: Array<{
    service_id: string;
    relationship: string;
    current_composite_availability: number;
    projected_composite_availability: number;
    delta: number;
    current_slo_target: number | null;
    slo_at_risk: boolean | null;
  }>;
}

export function formatImpact(r: ImpactResponse): string {
  return [
    table(
      ['service', 'relationship', 'current %', 'projected %', 'delta', 'SLO %', 'at risk'],
      r.impacted_services.map((s) => [
        s.service_id,
        s.relationship,
        s.current_composite_availability,
        s.projected_composite_availability,
        s.delta,
        s.current_slo_target,
        s.slo_at_risk === null ? 'no SLO' : s.slo_at_risk ? 'YES' : 'no',
      ]),
    ),
    '',
    r.summary.recommendation,
  ].join('\n');
}

export function registerSloCommands(program: Command): Command {
  const slo = program.command('slo').description('dependency-aware SLOs: graph, recommendations, impact analysis');
  const graph = slo.command('graph').description('the service dependency graph');
  graph
    .command('import')
    .description('ingest a dependency batch (JSON or YAML in the POST /api/v1/services/dependencies shape)')
    .argument('<file>', 'batch file; `source` defaults to manual')
    .option('--source <source>', 'discovery source: manual | service_mesh | otel_service_graph | kubernetes')
    .action(async (file: string, opts: { source?: string }) => {
      const text = readFileSync(file, 'utf8');
      let batch: Record<string, unknown>;
      try {
        batch = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
      }
      if (typeof batch !== 'object' || batch === null)
        throw new Error(`${file} must hold an object with nodes and edges`);
      const result = (await api('POST', '/api/v1/services/dependencies', {
        ...batch,
        source: opts.source ?? batch.source ?? 'manual',
      })) as {
        nodes_received: number;
        edges_received: number;
        placeholders_created: string[];
        conflicts: unknown[];
        cycles: string[][];
      };
      process.stdout.write(
        `ingested ${result.nodes_received} node(s), ${result.edges_received} edge(s); ${result.placeholders_created.length} placeholder(s), ${result.conflicts.length} conflict(s), ${result.cycles.length} cycle(s)\n`,
      );
      for (const c of result.cycles) process.stdout.write(`cycle: ${c.join(' -> ')}\n`);
    });
  graph
    .command('discover')
    .description('discover edges from OpenTelemetry service-graph metrics in Prometheus')
    .option('--minutes <n>', 'look back this many minutes', (v: string) => Number(v), 60)
    .action(async (opts: { minutes: number }) => {
      const r = (await api('POST', '/api/v1/services/dependencies/discover', { lookback_minutes: opts.minutes })) as {
        discovered: Array<{ source: string; target: string; rps: number; error_rate: number }>;
      };
      process.stdout.write(
        `${table(
          ['source', 'target', 'rps', 'error rate'],
          r.discovered.map((e) => [e.source, e.target, e.rps, e.error_rate]),
        )}\n`,
      );
    });

  slo
    .command('recommend')
    .description('three-tier SLO recommendations for a service, with explanations')
    .argument('<service>')
    .option('--sli <type>', 'availability | latency | all', 'all')
    .option('--lookback <days>', 'days of history (7-365)', days, 30)
    .option('--force', 'bypass the 24 h cache')
    .option('--json', 'print the API response')
    .action(async (service: string, opts: { sli: string; lookback: number; force?: boolean; json?: boolean }) => {
      const q = new URLSearchParams({
        sli_type: opts.sli,
        lookback_days: String(opts.lookback),
        force_regenerate: String(opts.force === true),
      });
      const r = (await api(
        'GET',
        `/api/v1/services/${encodeURIComponent(service)}/slo-recommendations?${q}`,
      )) as RecommendationResponse;
      if (opts.json) print(r);
      else process.stdout.write(`${formatRecommendations(r)}\n`);
    });

  slo
    .command('impact')
    .description("what changing a service's availability target does to the services that depend on it")
    .argument('<service>')
    .requiredOption('--target <percent>', 'proposed availability target', percent)
    .option('--current <percent>', 'current target (default: its active SLO or observed availability)', percent)
    .option('--json', 'print the API response')
    .action(async (service: string, opts: { target: number; current?: number; json?: boolean }) => {
      const r = (await api('POST', '/api/v1/slos/impact-analysis', {
        service_id: service,
        proposed_change: {
          sli_type: 'availability',
          proposed_target: opts.target,
          ...(opts.current !== undefined ? { current_target: opts.current } : {}),
        },
      })) as ImpactResponse;
      if (opts.json) print(r);
      else process.stdout.write(`${formatImpact(r)}\n`);
    });
  const decision = (action: 'accept' | 'modify' | 'reject') =>
    slo
      .command(action)
      .description(
        action === 'accept'
          ? 'make a recommendation tier the active SLO (audited)'
          : action === 'modify'
            ? 'accept a tier with changed targets (the delta is recorded)'
            : 'reject a recommendation; the current SLO stays (rationale required)',
      )
      .argument('<service>')
      .requiredOption('--recommendation <id>', 'recommendation_id from `slo recommend`')
      .option('--tier <tier>', 'conservative | balanced | aggressive', 'balanced')
      .option('--rationale <text>', 'why (required for reject)')
      .option('--availability <percent>', 'modify: availability target', percent)
      .option('--p99 <ms>', 'modify: p99 latency target in ms', (v: string) => Number(v))
      .option('--p95 <ms>', 'modify: p95 latency target in ms', (v: string) => Number(v))
      .action(
        async (
          service: string,
          opts: {
            recommendation: string;
            tier: string;
            rationale?: string;
            availability?: number;
            p99?: number;
            p95?: number;
          },
        ) => {
          const modifications: Record<string, number> = {};
          if (opts.availability !== undefined) modifications.availability_target = opts.availability;
          if (opts.p99 !== undefined) modifications.latency_p99_target_ms = opts.p99;
          if (opts.p95 !== undefined) modifications.latency_p95_target_ms = opts.p95;
          print(
            await api('POST', `/api/v1/services/${encodeURIComponent(service)}/slos`, {
              action,
              recommendation_id: opts.recommendation,
              selected_tier: opts.tier,
              ...(Object.keys(modifications).length > 0 ? { modifications } : {}),
              ...(opts.rationale ? { rationale: opts.rationale } : {}),
            }),
          );
        },
      );
  decision('accept');
  decision('modify');
  decision('reject');

  slo
    .command('history')
    .description("a service's SLO audit trail, newest first")
    .argument('<service>')
    .option('--limit <n>', 'entries', (v: string) => Number(v), 20)
    .action(async (service: string, opts: { limit: number }) => {
      const page = (await api(
        'GET',
        `/api/v1/services/${encodeURIComponent(service)}/slo-history?limit=${opts.limit}`,
      )) as { items: Array<Record<string, unknown>> };
      process.stdout.write(
        `${table(
          ['when', 'action', 'actor', 'tier', 'new targets', 'rationale'],
          page.items.map((e) => [
            String(e.timestamp ?? ''),
            String(e.action ?? ''),
            String(e.actor ?? ''),
            (e.selected_tier as string | null) ?? null,
            e.new_slo ? JSON.stringify((e.new_slo as { targets?: unknown }).targets ?? e.new_slo) : null,
            (e.rationale as string | null) ?? null,
          ]),
        )}\n`,
      );
    });

  slo
    .command('alerts')
    .description('alert rules (or a spec) for the active SLO, on stdout: bulwark slo alerts checkout > rules.yml')
    .argument('<service>')
    .option('--format <format>', 'prometheus | openslo | openslo-v2alpha1 | sloth', 'prometheus')
    .option('--period <period>', '28d | 30d', '30d')
    .option('--min-events-per-hour <n>', 'low-traffic protection: burn-rate alerts need this many events an hour')
    .action(async (service: string, opts: { format: string; period: string; minEventsPerHour?: string }) => {
      const q = new URLSearchParams({ format: opts.format, period: opts.period });
      if (opts.minEventsPerHour) q.set('min_events_per_hour', opts.minEventsPerHour);
      process.stdout.write(await apiText('GET', `/api/v1/services/${encodeURIComponent(service)}/slos/alerts?${q}`));
    });

  slo
    .command('validate')
    .description('check a Sloth prometheus/v1 spec or an OpenSLO v1 file (offline, like `sloth validate`)')
    .argument('<file>')
    .action((file: string) => {
      const problems = validateSpec(readFileSync(file, 'utf8'));
      if (problems.length === 0) {
        process.stdout.write(`${file}: valid\n`);
        return;
      }
      for (const p of problems) process.stdout.write(`${file}: ${describeProblem(p)}\n`);
      process.exitCode = 1;
    });

  slo
    .command('import')
    .description('import OpenSLO v1 SLOs as manual SLOs (all or nothing)')
    .argument('<file>')
    .action(async (file: string) => {
      const r = (await api('POST', '/api/v1/slos/import', { openslo: readFileSync(file, 'utf8') })) as {
        imported: number;
      };
      process.stdout.write(`imported ${r.imported} SLO(s)\n`);
    });
  return slo;
}
