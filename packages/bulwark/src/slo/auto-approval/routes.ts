import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BulwarkError } from '../../errors.js';
import type { AutoApproval } from './service.js';

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'rule names are 1-100 letters, digits and . _ - (no leading symbol)');
const condition = z.string().min(1).max(2000);
const tier = z.enum(['conservative', 'balanced', 'aggressive']);
const params = z.object({ id: z.uuid() });

const createBody = z
  .object({
    name,
    condition,
    tier: tier.default('balanced'),
    enabled: z.boolean().default(true),
  })
  .strict();

const patchBody = z
  .object({
    name: name.optional(),
    condition: condition.optional(),
    tier: tier.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

function actorOf(request: FastifyRequest): string {
  return request.identity?.subject ?? 'anonymous';
}

export function autoApprovalRoutes(service: AutoApproval): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['slo-auto-approval'];

    r.post(
      '/api/v1/auto-approval/rules',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags,
          summary: 'Create an auto-approval rule',
          description:
            'The condition is validated on write (a bad one is a 400 naming its column). Enabled rules are applied in name order by POST /api/v1/auto-approval/run.',
          body: createBody,
        },
      },
      async (request, reply) => reply.status(201).send(await service.createRule(request.body, actorOf(request))),
    );

    r.get(
      '/api/v1/auto-approval/rules',
      {
        config: { auth: { action: 'read' } },
        schema: { tags, summary: 'Auto-approval rules, in evaluation (name) order' },
      },
      async () => ({ items: await service.listRules() }),
    );

    r.get(
      '/api/v1/auto-approval/rules/:id',
      {
        config: { auth: { action: 'read' } },
        schema: { tags, summary: 'One auto-approval rule', params },
      },
      async (request) => service.getRule(request.params.id),
    );

    r.patch(
      '/api/v1/auto-approval/rules/:id',
      {
        config: { auth: { action: 'admin' } },
        schema: { tags, summary: 'Change a rule (name, condition, tier, enabled)', params, body: patchBody },
      },
      async (request) => {
        const b = request.body;
        if (Object.values(b).every((v) => v === undefined)) {
          throw new BulwarkError('validation_failed', 'body: give at least one of name, condition, tier, enabled');
        }
        return service.updateRule(
          request.params.id,
          {
            ...(b.name !== undefined ? { name: b.name } : {}),
            ...(b.condition !== undefined ? { condition: b.condition } : {}),
            ...(b.tier !== undefined ? { tier: b.tier } : {}),
            ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
          },
          actorOf(request),
        );
      },
    );

    r.delete(
      '/api/v1/auto-approval/rules/:id',
      {
        config: { auth: { action: 'admin' } },
        schema: { tags, summary: 'Delete a rule (past approvals stay in the SLO audit log)', params },
      },
      async (request, reply) => {
        await service.deleteRule(request.params.id);
        return reply.status(204).send();
      },
    );

    r.post(
      '/api/v1/auto-approval/rules/:id/dry-run',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags,
          summary: 'The active recommendations this rule would approve now (writes nothing)',
          description:
            'Evaluates the rule whether or not it is enabled, ignoring other rules. `skipped` lists recommendations the condition matches but a guard (stale, already decided, human-set SLO, missing tier, low confidence) keeps from approval.',
          params,
        },
      },
      async (request) => service.dryRun(request.params.id),
    );

    r.post(
      '/api/v1/auto-approval/run',
      {
        config: { auth: { action: 'admin' } },
        schema: {
          tags,
          summary: 'Apply all enabled rules to the active recommendations now',
          description:
            'Each approval is an SLO decision with action auto_approve by actor system:auto-approval:<rule name>.',
        },
      },
      async () => service.run(),
    );
  };
}
