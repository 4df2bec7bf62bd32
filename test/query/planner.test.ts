import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileMatchSpec } from '../../src/query/match-spec.js'
import { compilePattern } from '../../src/query/pattern.js'
import { keyHasPrefix, planQuery, prefixRange } from '../../src/query/planner.js'
import { compareKeys, type Key } from '../../src/storage/term.js'
import { employee, table } from './fixtures.js'

const ordered = table('rooms', { attributes: ['id', 'name', 'size'], type: 'ordered_set', index: ['name', 'size'] })
const spec = (...heads: unknown[]) => compileMatchSpec(ordered, heads.map((h) => [h, [], ['$_']]))

describe('planQuery', () => {
  it('lookup: the key is bound in every clause (deduplicated, in key order)', () => {
    expect(planQuery(employee, compilePattern(employee, { empNo: 104465 }))).toEqual({ kind: 'lookup', keys: [104465] })
    expect(planQuery(ordered, spec({ id: 3 }, { id: [1, 'a'] }, { id: 1 }, { id: 3, name: 'x' }))).toEqual({
      kind: 'lookup',
      keys: [1, 3, [1, 'a']],
    })
    expect(planQuery(employee, compilePattern(employee, { empNo: 1, name: 'indexed too' })).kind).toBe('lookup')
  })

  it('lookup with no keys when the bound key is not a valid key', () => {
    expect(planQuery(employee, compilePattern(employee, { empNo: null }))).toEqual({ kind: 'lookup', keys: [] })
    expect(planQuery(employee, compilePattern(employee, { empNo: { a: 1 } }))).toEqual({ kind: 'lookup', keys: [] })
    expect(planQuery(ordered, spec({ id: [true, '_'] }))).toEqual({ kind: 'lookup', keys: [] })
    // a dead clause is ignored: the other clause decides
    expect(planQuery(ordered, spec({ id: null }, { id: 4 }))).toEqual({ kind: 'lookup', keys: [4] })
    expect(planQuery(ordered, spec({ id: false }, { name: 'n' }))).toEqual({
      kind: 'index',
      attr: 'name',
      values: ['n'],
    })
  })

  it('lookup from a "$N" == literal guard on the key', () => {
    const m = compileMatchSpec(employee, [[{ empNo: '$1', name: '$2' }, [['==', '$1', 7]], ['$2']]])
    expect(planQuery(employee, m)).toEqual({ kind: 'lookup', keys: [7] })
  })

  it('index: every clause binds the same indexed attribute', () => {
    expect(planQuery(employee, compilePattern(employee, { name: 'Sten Ola', sex: 'male' }))).toEqual({
      kind: 'index',
      attr: 'name',
      values: ['Sten Ola'],
    })
    expect(planQuery(ordered, spec({ name: 'a' }, { name: 'b', size: 1 }, { name: 'a' }))).toEqual({
      kind: 'index',
      attr: 'name',
      values: ['a', 'b'],
    })
    // size has fewer distinct values than name here
    expect(planQuery(ordered, spec({ name: 'a', size: 1 }, { name: 'b', size: 1 }))).toEqual({
      kind: 'index',
      attr: 'size',
      values: [1],
    })
    const viaGuard = compileMatchSpec(employee, [[{ name: '$1' }, [['=:=', 'Sten Ola', '$1']], ['$_']]])
    expect(planQuery(employee, viaGuard)).toEqual({ kind: 'index', attr: 'name', values: ['Sten Ola'] })
  })

  it('index beats range; an unindexed attribute does not count', () => {
    expect(planQuery(ordered, spec({ id: [1, '_'], name: 'a' })).kind).toBe('index')
    expect(planQuery(employee, compilePattern(employee, { sex: 'male' }))).toEqual({ kind: 'scan' })
  })

  it('range: ordered_set, key = array starting with literals (common prefix of all clauses)', () => {
    expect(planQuery(ordered, spec({ id: [221, '_'] }))).toEqual({ kind: 'range', prefix: [221] })
    expect(planQuery(ordered, spec({ id: [2, 'b', '$1'] }))).toEqual({ kind: 'range', prefix: [2, 'b'] })
    expect(planQuery(ordered, spec({ id: [2, 'b', '_'] }, { id: [2, 'c', '_'] }, { id: [2, 'b', 9] }))).toEqual({
      kind: 'range',
      prefix: [2],
    })
  })

  it('scan: anything else', () => {
    expect(planQuery(ordered, spec('_'))).toEqual({ kind: 'scan' })
    expect(planQuery(ordered, spec({ id: ['_', 1] }))).toEqual({ kind: 'scan' })
    expect(planQuery(ordered, spec({ id: [1, '_'] }, { id: [2, '_'] }))).toEqual({ kind: 'scan' })
    expect(planQuery(ordered, spec({ id: [1, '_'] }, '_'))).toEqual({ kind: 'scan' })
    expect(planQuery(ordered, spec({ id: 1 }, { name: 'a' }))).toEqual({ kind: 'scan' }) // mixed lookup/index
    const set = table('s', { attributes: ['id', 'v'] })
    expect(planQuery(set, compilePattern(set, { id: [1, '_'] }))).toEqual({ kind: 'scan' }) // not ordered_set
  })
})

// Keys around the successor boundaries, so that prefixRange is tested where it could be off by one.
const edgeLeaf = fc.constantFrom<Key>(
  -Infinity, -Number.MAX_VALUE, -1, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 1, 1 + Number.EPSILON, Infinity,
  new Date(-8.64e15), new Date(-1), new Date(0), new Date(1), new Date(8.64e15),
  '', '\u0000', 'a', 'a\u0000', 'a\u0000\u0000', 'b',
  new Uint8Array([]), new Uint8Array([0]), new Uint8Array([1]), new Uint8Array([1, 0]), new Uint8Array([2]),
)
const leafKey: fc.Arbitrary<Key> = fc.oneof(edgeLeaf, fc.integer({ min: -2, max: 2 }), fc.string({ maxLength: 2 }))
const anyKey: fc.Arbitrary<Key> = fc.letrec<{ k: Key }>((tie) => ({
  k: fc.oneof({ depthSize: 'small' }, leafKey, fc.array(tie('k'), { maxLength: 3 })),
})).k

describe('prefixRange', () => {
  it('examples', () => {
    expect(prefixRange([221])).toEqual({ lower: [221], upper: [221.00000000000003] })
    expect(prefixRange([1, 'b'])).toEqual({ lower: [1, 'b'], upper: [1, 'b\u0000'] })
    expect(prefixRange([Infinity])).toEqual({ lower: [Infinity], upper: [new Date(-8.64e15)] })
    expect(prefixRange([new Date(8.64e15)])).toEqual({ lower: [new Date(8.64e15)], upper: [''] })
    expect(prefixRange([[1]])).toEqual({ lower: [[1]], upper: [[1, -Infinity]] })
    expect(() => prefixRange([])).toThrow(RangeError)
  })

  it('[lower, upper) holds exactly the array keys starting with the prefix', () => {
    const prefixAndKey = fc.array(anyKey, { minLength: 1, maxLength: 3 }).chain((prefix) =>
      fc.tuple(
        fc.constant(prefix),
        fc.oneof(
          anyKey,
          fc.array(anyKey, { maxLength: 2 }).map((rest): Key => [...prefix, ...rest]),
          fc
            .tuple(leafKey, fc.array(anyKey, { maxLength: 2 }))
            .map(([x, rest]): Key => [...prefix.slice(0, -1), x, ...rest]),
        ),
      ),
    )
    fc.assert(
      fc.property(prefixAndKey, ([prefix, k]) => {
        const { lower, upper } = prefixRange(prefix)
        const inRange = compareKeys(lower, k) <= 0 && compareKeys(k, upper) < 0
        if (inRange !== keyHasPrefix(k, prefix)) return false
        let idbRange: boolean
        try {
          idbRange = IDBKeyRange.bound(lower, upper, false, true).includes(k)
        } catch {
          return true // fake-indexeddb refuses empty binaries (real IndexedDB accepts them)
        }
        return idbRange === inRange
      }),
      { numRuns: 2000 },
    )
  })
})
