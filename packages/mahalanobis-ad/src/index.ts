export * from './backbone.js';
export * from './detector.js';
export * from './distances.js';
export * from './features.js';
export * from './gaussian-ad.js';
export * from './padim.js';
export * from './synthetic-mvtec.js';
