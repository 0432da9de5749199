export * from './distances.js';
export * from './gaussian-ad.js';
