export * from '../../sdk/testing/mock-gemini.js';
