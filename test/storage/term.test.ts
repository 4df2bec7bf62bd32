/**
 * Term order is IndexedDB key order: compareKeys agrees with indexedDB.cmp on random keys, and
 * isValidKey accepts exactly what IndexedDB accepts as a key.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonical, compareKeys, isValidKey, type Key } from '../../src/storage/term.js'

const leaf: fc.Arbitrary<Key> = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(0, -0, Infinity, -Infinity),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
  fc.date({ noInvalidDate: true }),
)
// Binary keys are left to the browser test (e2e/node-term-order.spec.ts): fake-indexeddb's cmp
// rejects typed arrays created in vitest's realm.
const key: fc.Arbitrary<Key> = fc.letrec((tie) => ({
  key: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('key'), { maxLength: 3 })),
})).key as fc.Arbitrary<Key>

describe('term order', () => {
  it('agrees with indexedDB.cmp on random keys', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(indexedDB.cmp(a, b))
        expect(isValidKey(a)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('equal keys have equal canonical forms, and unequal keys different ones', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(canonical(a) === canonical(b)).toBe(indexedDB.cmp(a, b) === 0)
      }),
      { numRuns: 1000 },
    )
  })

  it('rejects what IndexedDB rejects as a key', () => {
    const cyclic: unknown[] = []
    cyclic.push(cyclic)
    for (const bad of [NaN, new Date(NaN), {}, true, null, undefined, Symbol('s'), () => 1, [NaN], [{}], cyclic, new Map()]) {
      expect(isValidKey(bad)).toBe(false)
      expect(() => indexedDB.cmp(bad, 1)).toThrow()
    }
  })
})
