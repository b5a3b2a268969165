export * from './base-url';
export * from './client';
export * from './http-transport';
export * from './http-errors';
export * from './models';
export * from './response-shapes';
export * from './retry';
