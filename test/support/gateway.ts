export * from '../../sdk/testing/start-gateway.js';
