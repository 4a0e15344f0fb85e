export * from './service.js';
export * from './authenticators.js';
export { hashPassword, verifyPassword, safeEqual, sha256Hex, randomHex } from './secrets.js';
export * from './oauth1/signature.js';
export * from './oauth1/verify.js';
export * from './rate-limit.js';
