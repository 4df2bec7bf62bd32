/**
 * The regression guard of `npm run bench -- --check`: compares the ratios of this run with those
 * of the committed `bench/results.json` (the last full run) and names every targeted ratio that
 * got worse beyond the noise.
 *
 * The noise margin: a ratio regressed when its median this run lies beyond the worst repetition
 * of the committed run (its max for a `<=` target, its min for a `>=` target) by more than
 * {@link MARGIN} (25 %). Both runs' own spread thus counts as noise, and a quick run's smaller
 * sizes (which move some ratios a little) do not raise false alarms. "info" rows are not checked
 * (they have no direction), nor rows missing from either run.
 */

/** How far beyond the committed run's worst repetition a ratio may lie before it is a regression. */
export const MARGIN = 0.25

/**
 * The regressions of `current` against `baseline` (both arrays of ratio rows as results.json
 * holds them: `{ w, label, op, target, value, min, max }`).
 *
 * @returns one `{ w, label, op, value, limit, baseline }` per regressed ratio
 */
export function regressions(baseline, current, margin = MARGIN) {
  const before = new Map(baseline.map((r) => [`${r.w} ${r.label}`, r]))
  const out = []
  for (const r of current) {
    if (r.op === 'info' || !Number.isFinite(r.value)) continue
    const b = before.get(`${r.w} ${r.label}`)
    if (!b || b.op !== r.op || !Number.isFinite(b.value)) continue
    const worst = r.op === '<=' ? (Number.isFinite(b.max) ? b.max : b.value) : Number.isFinite(b.min) ? b.min : b.value
    const limit = r.op === '<=' ? worst * (1 + margin) : worst / (1 + margin)
    const regressed = r.op === '<=' ? r.value > limit : r.value < limit
    if (regressed) out.push({ w: r.w, label: r.label, op: r.op, value: r.value, limit, baseline: b.value })
  }
  return out
}
