export * from '../../sdk/testing/mock-upstream.js';
