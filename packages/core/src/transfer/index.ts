export * from './classification.js';
export * from './transfer.js';
