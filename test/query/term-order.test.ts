import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareTerms, termEquals } from '../../src/query/term-order.js'
import { compareKeys, deepEqual } from '../../src/storage/term.js'

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0)

const keyLeaf = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -5, max: 5 }).map((t) => new Date(t)),
  fc.uint8Array({ maxLength: 3 }),
)
const key: fc.Arbitrary<unknown> = fc.letrec<{ k: unknown }>((tie) => ({
  k: fc.oneof({ depthSize: 'small', withCrossShrink: true }, keyLeaf, fc.array(tie('k'), { maxLength: 3 })),
})).k

const valueLeaf = fc.oneof(
  keyLeaf,
  fc.constantFrom(null, true, false, Number.NaN, -0, Infinity),
  fc.constant(new Date(Number.NaN)),
)
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    valueLeaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 3 }),
  ),
})).v

describe('compareTerms', () => {
  it('agrees with compareKeys on keys', () => {
    fc.assert(fc.property(key, key, (a, b) => sign(compareTerms(a, b)) === sign(compareKeys(a, b))), { numRuns: 1000 })
  })

  it('0 exactly when deepEqual (termEquals is the same relation)', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const eq = deepEqual(a, b)
        return (compareTerms(a, b) === 0) === eq && termEquals(a, b) === eq && termEquals(a, a)
      }),
      { numRuns: 1000 },
    )
    expect(termEquals({ a: 1, b: undefined }, { a: 1 })).toBe(true)
    expect(termEquals(new Uint8Array([1]), new Uint8Array([1]).buffer)).toBe(true)
  })

  it('is a total order: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 8 }), (xs) => {
        for (const a of xs) for (const b of xs) if (sign(compareTerms(a, b)) !== -sign(compareTerms(b, a))) return false
        const sorted = [...xs].sort(compareTerms)
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) if (compareTerms(sorted[i], sorted[j]) > 0) return false
        }
        return true
      }),
      { numRuns: 300 },
    )
  })

  it('orders the types as documented', () => {
    const chain = [
      undefined, null, false, true, -Infinity, -1, 0, 2.5, Infinity, Number.NaN,
      new Date(-1), new Date(0), new Date(Number.NaN), '', 'a', 'b',
      new Uint8Array([]), new Uint8Array([0]), new Uint8Array([1]),
      [], [0], [0, 0], [1], ['a'], [[]],
      {}, { a: 1 }, { a: 2 }, { a: 1, b: 0 }, { b: 0 },
    ]
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(compareTerms(chain[i], chain[i + 1]), `${String(i)}`).toBeLessThan(0)
      expect(compareTerms(chain[i + 1], chain[i])).toBeGreaterThan(0)
    }
    expect(compareTerms(-0, 0)).toBe(0)
    expect(compareTerms(Number.NaN, Number.NaN)).toBe(0)
  })
})
