// Relative asset URLs (the build works from any folder); top-level await in the worker needs an
// ES2022 target; workers are built as ES modules.
export default { base: './', build: { target: 'es2022' }, worker: { format: 'es' } };
