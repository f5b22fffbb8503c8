/**
 * Number and duration formats shared by the progress displays (the live
 * training view and the notebook progress line). Internal.
 * @module
 */

/**
 * A loss for a progress line: 4 decimals, exponent form when very large or small.
 *
 * @example
 * ```ts
 * formatLoss(0.123456); // "0.1235"
 * formatLoss(2e-5);     // "2.000e-5"
 * ```
 */
export function formatLoss(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

/**
 * A remaining time in seconds as `42s`, `3m07s` or `1h05m` (`?` when unknown).
 *
 * @example
 * ```ts
 * formatDuration(187); // "3m07s"
 * ```
 */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
