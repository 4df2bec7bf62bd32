/** The regression guard of `npm run bench -- --check` (bench/check.mjs). */
import { expect, it } from 'vitest'
import { MARGIN, regressions as check, type RatioRow as Row } from '../../bench/check.mjs'

const row = (label: string, op: Row['op'], value: number, min = value, max = value): Row => ({ w: 'P2', label, op, value, min, max })

it('a "<=" ratio regresses only past the committed worst repetition plus the margin', () => {
  const base = [row('txn', '<=', 1.1, 1.0, 1.3)]
  expect(check(base, [row('txn', '<=', 1.3 * (1 + MARGIN) - 0.01)])).toEqual([])
  const r = check(base, [row('txn', '<=', 1.3 * (1 + MARGIN) + 0.01)])
  expect(r.map((x) => x.label)).toEqual(['txn'])
  expect(r[0]?.limit).toBeCloseTo(1.3 * (1 + MARGIN))
})

it('a ">=" ratio regresses only below the committed worst repetition less the margin', () => {
  const base = [row('tps', '>=', 30, 20, 32)]
  expect(check(base, [row('tps', '>=', 20 / (1 + MARGIN) + 0.01)])).toEqual([])
  expect(check(base, [row('tps', '>=', 20 / (1 + MARGIN) - 0.01)]).map((x) => x.label)).toEqual(['tps'])
})

it('info rows, new rows and rows whose direction changed are not checked', () => {
  const base = [row('a', 'info', 1), row('b', '<=', 1)]
  expect(check(base, [row('a', 'info', 100), row('b', '>=', 0.001), row('c', '<=', 100)])).toEqual([])
})
