export * from './backbone-spec.js';
export * from './cnns.js';
export * from './ft-batch-norm.js';
export * from './fused-batch-norm.js';
export * from './module.js';
export * from './param-groups.js';
export * from './registry.js';
export * from './resnet.js';
