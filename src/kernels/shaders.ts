// WGSL sources, imported as text (vite's `?raw`; under plain Node, scripts/raw-hook.mjs).
export { default as lossWgsl } from '../../shaders/loss.wgsl?raw';
export { default as lossDirectBody } from '../../shaders/loss_direct.wgsl?raw';
export { default as gramWgsl } from '../../shaders/gram.wgsl?raw';
export { default as gdWgsl } from '../../shaders/gd.wgsl?raw';

// The seeded Feistel permutation (shaders/feistel.wgsl) serves the shuffle and the SGD kernels' run
// order; the two SGD kernels share their uniforms (shaders/sgd_params.wgsl).
import feistel from '../../shaders/feistel.wgsl?raw';
import sgdParams from '../../shaders/sgd_params.wgsl?raw';
import sgd from '../../shaders/sgd.wgsl?raw';
import sgdLanes from '../../shaders/sgd_lanes.wgsl?raw';
import shuffle from '../../shaders/shuffle.wgsl?raw';

export const sgdWgsl = feistel + sgdParams + sgd;
export const sgdLanesWgsl = feistel + sgdParams + sgdLanes;
export const shuffleWgsl = feistel + shuffle;

// The ALS row-solve kernels share one Params struct (WGSL has no includes): prepended here.
import solveParams from '../../shaders/solve_params.wgsl?raw';
import normalEq from '../../shaders/normal_eq.wgsl?raw';
import normalEqFinish from '../../shaders/normal_eq_finish.wgsl?raw';
import normalEqDirect from '../../shaders/normal_eq_direct.wgsl?raw';
import cholesky from '../../shaders/cholesky.wgsl?raw';
import choleskyDirect from '../../shaders/cholesky_direct.wgsl?raw';
import choleskyBlocked from '../../shaders/cholesky_blocked.wgsl?raw';
import cg from '../../shaders/cg.wgsl?raw';
import { directBuildPrelude } from './constants.ts';

export const normalEqWgsl = solveParams + normalEq;
export const normalEqFinishWgsl = solveParams + normalEqFinish;
export const normalEqDirectWgsl = solveParams + directBuildPrelude + normalEqDirect;
export const choleskyWgsl = solveParams + cholesky;
export const choleskyDirectWgsl = solveParams + choleskyDirect;
export const choleskyBlockedWgsl = solveParams + choleskyBlocked;
export const cgWgsl = solveParams + cg;
