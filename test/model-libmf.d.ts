// Types for the npm `libmf` package (ankane/libmf-node), which ships none: the subset the interop tests use.
declare module 'libmf' {
  export class Matrix {
    push(row: number, column: number, value: number): void;
  }
  export class Model {
    constructor(options?: { loss?: number; factors?: number; threads?: number; bins?: number; iterations?: number; lambdaP2?: number; lambdaQ2?: number; learningRate?: number; quiet?: boolean });
    fit(data: Matrix | string, evalSet?: Matrix | string): void;
    predict(row: number, column: number): number;
    save(path: string): void;
    static load(path: string): Model;
    rows(): number;
    columns(): number;
    factors(): number;
    bias(): number;
    p(): number[][];
    q(): number[][];
    destroy(): void;
  }
}
