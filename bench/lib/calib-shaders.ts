// Calibration microkernels for the benchmark harness (bench/), imported as text like the engine's shaders.
export { default as calibFmaWgsl } from '../../shaders/calib_fma.wgsl?raw';
export { default as calibCopyWgsl } from '../../shaders/calib_copy.wgsl?raw';
