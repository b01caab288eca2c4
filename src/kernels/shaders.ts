// WGSL sources, imported as text (vite's `?raw`; under plain Node, scripts/raw-hook.mjs).
export { default as normalEqWgsl } from '../../shaders/normal_eq.wgsl?raw';
export { default as normalEqFinishWgsl } from '../../shaders/normal_eq_finish.wgsl?raw';
export { default as choleskyWgsl } from '../../shaders/cholesky.wgsl?raw';
export { default as lossWgsl } from '../../shaders/loss.wgsl?raw';
export { default as gramWgsl } from '../../shaders/gram.wgsl?raw';
export { default as cgWgsl } from '../../shaders/cg.wgsl?raw';
export { default as sgdWgsl } from '../../shaders/sgd.wgsl?raw';
export { default as shuffleWgsl } from '../../shaders/shuffle.wgsl?raw';
export { default as gdWgsl } from '../../shaders/gd.wgsl?raw';
export { default as normalEqDirectWgsl } from '../../shaders/normal_eq_direct.wgsl?raw';
export { default as choleskyDirectWgsl } from '../../shaders/cholesky_direct.wgsl?raw';
