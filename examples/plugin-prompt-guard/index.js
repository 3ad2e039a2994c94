// @ts-check
/**
 * llm-gateway-plugin-prompt-guard: refuses prompts that match deny patterns before any provider
 * is called (and before anything is spent), and marks the answers it let through.
 *
 * A plugin in three parts: its options, what it does on the way in, what it does on the way out.
 */
import { definePlugin, defineSlot, GatewayError } from 'llm-gateway/plugin';

/** @typedef {import('./index.js').PromptGuardOptions} PromptGuardOptions */

/**
 * The guard's verdict for a request, for plugins that run after it (a logger, a router).
 * @type {import('llm-gateway/plugin').Slot<'passed'>}
 */
export const promptGuardVerdict = defineSlot('prompt-guard:verdict');

// 1. Its options: a JSON Schema that definePlugin checks at start, and the defaults it fills in.
const schema = {
  type: 'object',
  required: ['deny'],
  additionalProperties: false,
  properties: {
    deny: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    // Not `g` or `y`: they make a RegExp remember where its last match ended, so that testing the
    // same prompt again would start there and let every other one through.
    flags: { type: 'string', pattern: '^[dimsu]*$' },
    message: { type: 'string', minLength: 1 },
    roles: { type: 'array', items: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] } },
    maxMessages: { type: 'integer', minimum: 1 },
  },
};

/** @satisfies {Partial<PromptGuardOptions>} */
const defaults = { flags: 'i', message: 'The request was blocked by the prompt guard.', roles: /** @type {PromptGuardOptions['roles']} */ (['user']) };

export default definePlugin(
  /** @type {import('llm-gateway/plugin').PluginSpec<PromptGuardOptions, typeof defaults>} */ ({
    name: 'llm-gateway-plugin-prompt-guard',
    schema,
    defaults,
    setup(host, options) {
      const patterns = options.deny.map((source) => new RegExp(source, options.flags));
      /** @type {ReadonlySet<string>} */
      const roles = new Set(options.roles);
      let blocked = 0;
      host.addPanel({ id: 'prompt-guard', title: 'Prompt guard', render: () => `<p>${blocked} request(s) blocked</p>` });

      return {
        async middleware(ctx, next) {
          // 2. On the way in: look at the prompt; a refusal is a GatewayError, which the client
          //    receives as a 400 in OpenAI's format. Nothing downstream runs, no provider is called.
          const { messages } = ctx.request;
          if (options.maxMessages !== undefined && messages.length > options.maxMessages) {
            throw refuse(`The conversation has ${messages.length} messages; the limit is ${options.maxMessages}.`, 'messages', 'too_many_messages');
          }
          for (const [index, message] of messages.entries()) {
            if (!roles.has(message.role)) continue;
            const text = textOf(message.content);
            if (patterns.some((pattern) => pattern.test(text))) {
              blocked++;
              throw refuse(options.message, `messages[${index}].content`, 'prompt_blocked');
            }
          }
          ctx.set(promptGuardVerdict, 'passed');

          await next();

          // 3. On the way out: the answer (whole or a stream not yet sent) is on ctx.response;
          //    headers set here reach the client either way.
          ctx.http.set('x-prompt-guard', 'passed');
        },
      };
    },
  }),
);

/**
 * @param {string} message
 * @param {string} param
 * @param {string} code
 */
function refuse(message, param, code) {
  return new GatewayError('invalid_request', message, { code, param, retryable: false });
}

/** @param {unknown} content */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part.text === 'string' ? part.text : '')).join('\n');
}
