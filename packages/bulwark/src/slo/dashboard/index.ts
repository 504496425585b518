export { type Cached, createTtlCache, type TtlCache } from './cache.js';
export type { BudgetStatus, Coverage, ErrorBudgetHealth, RecommendationQuality } from './store.js';
export { type DashboardOptions, dashboardRoutes } from './routes.js';
