/**
 * Values the host and the shaders must agree on, written once. The shaders receive them as
 * `override` constants at pipeline creation (or, where WGSL needs a const-expression, as a `const`
 * the host prepends); an override without a default fails pipeline creation if the host leaves it
 * out, so a missing value cannot pass silently.
 */
export const SHARED = {
  /** A score at or below this is a masked entry (seen / excluded) or padding; never a result. */
  MASKED_BELOW: -1e38,
  /** The score the mask pass writes (below MASKED_BELOW). */
  MASK_SCORE: -3e38,
  /** The padding score of top-k (below MASK_SCORE, so a masked entry still outranks padding). */
  PAD_SCORE: -3.4e38,
  /** Entries per top-k chunk (shaders/topk.wgsl CH); k may be at most half of it. */
  TOPK_CHUNK: 1024,
  /** Private accumulator columns of the direct normal-equation build (rank 256 + bias). */
  DIRECT_MAXK: 260,
  /**
   * Named accumulators per invocation of the register-resident build (shaders/normal_eq_rows.wgsl):
   * rank 16 + bias (153 + 17) fits one invocation, so its solve is fused in registers; larger
   * systems are cut into bands of rows of at most this many (and solved by cholesky_direct.wgsl).
   * A single band of rank 32 + bias (594) measured no faster per flop here and compiles for minutes.
   */
  ROWS_MAX_ACC: 176,
  /**
   * Largest K the register-resident build takes (one pipeline per band; above it the segment build).
   * Rank 64 takes 13 bands of 176, whose compilation on SwiftShader cost more than the build saved.
   */
  ROWS_MAXK: 48,
  /**
   * K range of the subgroup build (shaders/normal_eq_subgroup.wgsl), where the device has subgroups.
   * Below it the register build fuses the solve (rank 16 + bias); above it a lane would hold more
   * named accumulators than its compile time repays.
   */
  SUBGROUP_MINK: 18,
  SUBGROUP_MAXK: 68,
} as const;

/** Overrides of shaders/topk.wgsl. */
export const topkConstants = { CH: SHARED.TOPK_CHUNK, PAD_S: SHARED.PAD_SCORE };
/** Overrides of shaders/score.wgsl. */
export const scoreConstants = { MASK: SHARED.MASK_SCORE };
/** Overrides of shaders/metrics_rank.wgsl. */
export const rankConstants = { MASKED: SHARED.MASKED_BELOW };
/** The const prepended to shaders/normal_eq_direct.wgsl (a function-scope array length). */
export const directBuildPrelude = `const MAXK: u32 = ${SHARED.DIRECT_MAXK}u;\n`;
