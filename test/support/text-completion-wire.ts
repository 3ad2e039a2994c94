export * from '../../sdk/testing/text-completion-wire.js';
