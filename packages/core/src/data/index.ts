export {};
export * from './npy.js';
