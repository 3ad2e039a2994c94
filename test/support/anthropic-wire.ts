export * from '../../sdk/testing/anthropic-wire.js';
