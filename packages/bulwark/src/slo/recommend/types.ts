/**
 * SLO recommendations: three tiers per SLI, with explanations.
 *
 * Glossary
 * - tier: conservative (rarely breached), balanced (the default to adopt), aggressive (stretch).
 * - period: the SLO evaluation window (30 days unless configured); breach = the period's SLI is
 *   worse than the target.
 * - dependency bound: the composite availability of the hard dependency chain (FR-3); a service
 *   cannot promise more than its hard dependencies deliver.
 * - archetype: a service class (gateway, backend, datastore, external) with default targets, used
 *   when there is too little history (cold start).
 */
export type { TierName } from '../lifecycle/types.js';
export { TIER_NAMES } from '../lifecycle/types.js';
