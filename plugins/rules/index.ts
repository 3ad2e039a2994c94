/**
 * `gateway:rules`: declarative routing rules, matched in order, each sending matching requests to a
 * model, a `provider/model` or a virtual model.
 *
 * Options: the rules. On the way in, the first rule whose `when` matches the request (model glob,
 * headers, estimated prompt tokens, metadata) decides the route; the `routing()` plugin after it
 * then orders that route's targets. No rule matching leaves the request as it came.
 * `llm-gateway route --model X --header k:v` shows which rule matches, without calling anything.
 *
 * @example
 * rules({ rules: [
 *   { name: 'long prompts', when: { minPromptTokens: 100_000 }, route: 'long-context' },
 *   { name: 'batch', when: { headers: { 'x-tier': 'batch' } }, route: 'cheap' },
 * ] })
 */
import { definePlugin, defineService, estimatePromptTokens, type RouteDecision } from 'llm-gateway/plugin';
import { callerKeySlot } from 'llm-gateway/plugins/auth';
import { tokenCountSlot } from 'llm-gateway/plugins/token-counter';
import { compileConditions, type RequestFacts, type RuleConditions } from './match.js';

export interface Rule {
  /** Shown in logs, `x-gateway-*` reasons and `llm-gateway route`. Default `rule <index>`. */
  name?: string;
  when: RuleConditions;
  /** A virtual model, `provider/model`, or a listed model. */
  route: string;
}

export interface RulesOptions {
  rules: Rule[];
}

export interface RuleDecision {
  rule: string | undefined;
  route: RouteDecision;
}

export interface RuleRouter {
  /** Which rule matches these facts, and the route it leads to (the model's own route if none). */
  explain(facts: RequestFacts): RuleDecision;
}

export const ruleRouter = defineService<RuleRouter>('rules:router');


export const rules = definePlugin<RulesOptions>({
  name: 'gateway:rules',
  schema: {
    type: 'object',
    required: ['rules'],
    additionalProperties: false,
    properties: {
      rules: {
        type: 'array',
        items: {
          type: 'object',
          required: ['when', 'route'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1 },
            route: { type: 'string', minLength: 1 },
            when: {
              type: 'object',
              additionalProperties: false,
              properties: {
                model: { type: 'string', minLength: 1 },
                headers: { type: 'object', additionalProperties: { type: 'string' } },
                minPromptTokens: { type: 'integer', minimum: 0 },
                maxPromptTokens: { type: 'integer', minimum: 0 },
                metadata: { type: 'object', additionalProperties: { type: 'string' } },
                key: { type: 'string', minLength: 1 },
                team: { type: 'string', minLength: 1 },
              },
            },
          },
        },
      },
    },
  },
  setup(host, options) {
    const compiled = options.rules.map((rule, index) => ({ name: rule.name ?? `rule ${index}`, route: rule.route, matches: compileConditions(rule.when) }));
    const resolver = host.models;

    const explain = (facts: RequestFacts): RuleDecision => {
      const rule = compiled.find((r) => r.matches(facts));
      if (!rule) return { rule: undefined, route: resolver.resolve(facts.model) };
      const route = resolver.resolve(rule.route);
      return { rule: rule.name, route: { ...route, requestedModel: facts.model, reason: `rule:${rule.name}` } };
    };

    // Fail at start (and refuse a live change) rather than at the first matching request when a
    // rule routes to a provider that is not configured. A bare model name is checked per request:
    // model lists load later.
    host.checkConfig((next) =>
      compiled.flatMap((rule, index) => {
        if (next.models.has(rule.route)) return [];
        const slash = rule.route.indexOf('/');
        if (slash < 0) return [];
        const provider = rule.route.slice(0, slash);
        if (next.providers.some((p) => p.id === provider)) return [];
        return [`gateway:rules: options/rules/${index}/route '${rule.route}': no provider '${provider}' is configured (configured providers: ${next.providers.map((p) => p.id).join(', ') || 'none'})`];
      }),
    );
    host.provide(ruleRouter, { explain });

    return {
      async middleware(ctx, next) {
        const metadata = ctx.request.metadata;
        const decision = explain({
          model: ctx.request.model,
          headers: ctx.http.req.headers,
          // A getter: the prompt is counted only if a rule's condition reads it.
          get promptTokens() {
            return ctx.get(tokenCountSlot)?.promptTokens ?? estimatePromptTokens(ctx.request);
          },
          metadata: typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {},
          key: ctx.get(callerKeySlot),
        });
        if (decision.rule !== undefined) ctx.route = decision.route;
        await next();
      },
    };
  },
});
