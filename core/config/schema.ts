/**
 * JSON Schema of the config's own sections. Provider options are checked afterwards against the
 * schema of their provider type, and plugin options by each plugin's factory.
 */
import { STORE_URL_PATTERN } from '../store/store-url.js';
import { LOG_LEVELS } from '../logger.js';

const bodyLimit = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)?$' }] };

const virtualTarget = {
  anyOf: [
    { type: 'string', pattern: '^[^/]+/.+$' },
    {
      type: 'object',
      required: ['model'],
      additionalProperties: false,
      properties: {
        model: { type: 'string', pattern: '^[^/]+/.+$' },
        weight: { type: 'number', exclusiveMinimum: 0 },
        priority: { type: 'integer' },
        tier: { enum: ['free', 'paid'] },
        params: { type: 'object' },
      },
    },
  ],
};

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        host: { type: 'string', minLength: 1 },
        bodyLimit,
        shutdownTimeoutMs: { type: 'integer', minimum: 0 },
        trustedProxies: { type: 'integer', minimum: 0, maximum: 16 },
        timeouts: { type: 'object', additionalProperties: false, properties: { headersMs: { type: 'integer', minimum: 1 }, bodyMs: { type: 'integer', minimum: 1 } } },
        inputLimits: {
          type: 'object',
          additionalProperties: false,
          properties: { maxDepth: { type: 'integer', minimum: 2 }, maxArrayLength: { type: 'integer', minimum: 1 }, maxStringLength: { type: 'integer', minimum: 1 } },
        },
        adminKey: {
          anyOf: [
            { type: 'string', minLength: 16 },
            { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', minLength: 1 }, default: { type: 'string' } } },
          ],
        },
        corsOrigins: { anyOf: [{ const: '*' }, { type: 'array', items: { type: 'string', pattern: '^https?://[^/]+$' } }] },
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: [...LOG_LEVELS] },
        format: { enum: ['text', 'json'] },
      },
    },
    store: { type: 'string', pattern: STORE_URL_PATTERN },
    providers: {
      type: 'object',
      propertyNames: { pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', minLength: 1 },
          enabled: { type: 'boolean' },
          models: { type: 'array', items: { type: 'string', minLength: 1 } },
          unsupportedParams: { enum: ['error', 'drop'] },
        },
      },
    },
    models: {
      type: 'object',
      propertyNames: { pattern: '^[^/\\s]+$' },
      additionalProperties: {
        type: 'object',
        required: ['targets'],
        additionalProperties: false,
        properties: {
          targets: { type: 'array', minItems: 1, items: virtualTarget },
          strategy: { type: 'string', minLength: 1 },
          description: { type: 'string' },
        },
      },
    },
    catalog: {
      type: 'object',
      additionalProperties: false,
      properties: {
        refreshIntervalMs: { type: 'integer', minimum: 1000 },
        timeoutMs: { type: 'integer', minimum: 1 },
      },
    },
    plugins: { type: 'array' },
  },
} as const;
