export * from '../../sdk/testing/responses-wire.js';
