/** A ratio row as bench/results.json holds it. */
export interface RatioRow {
  w: string
  label: string
  op: '<=' | '>=' | 'info'
  target?: number
  value: number
  min: number
  max: number
}
/** One ratio that got worse beyond the noise. */
export interface Regression {
  w: string
  label: string
  op: '<=' | '>='
  value: number
  limit: number
  baseline: number
}
export const MARGIN: number
export function regressions(baseline: readonly RatioRow[], current: readonly RatioRow[], margin?: number): Regression[]
