/** The engine's errors live in src/core/errors.ts (they are not GPU-specific); re-exported here for existing imports. */
export * from '../core/errors.ts';
