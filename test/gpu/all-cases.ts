/** Every shared GPU-vs-CPU case; the Node and the Chrome runners both import this list. */
import { foundationCases } from './cases-foundation.ts';
import { alsCases } from './cases-als.ts';
import { hostCases } from './cases-host.ts';
import { sgdCases } from './cases-sgd.ts';
import { modelCases } from './cases-model.ts';
import { stopCases } from './cases-stops.ts';
import { rankingCases } from './cases-ranking.ts';
import { calibCases } from './cases-calib.ts';
import type { GpuCase } from './types.ts';

export const allCases: GpuCase[] = [...foundationCases, ...hostCases, ...alsCases, ...sgdCases, ...modelCases, ...stopCases, ...rankingCases, ...calibCases];
