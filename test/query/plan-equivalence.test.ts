/**
 * Planning never changes results: on random tables (every type, with an index) and random
 * patterns / match specifications, `dirtySelect` / `dirtyMatchObject` (which use key lookups,
 * index lookups and key-prefix ranges) return exactly what evaluating the compiled spec on every
 * record returns (the compiled evaluator itself is checked against a naive reference in
 * reference.test.ts).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/index.js'
import { compileMatchSpec } from '../../src/query/match-spec.js'
import { NO_MATCH } from '../../src/query/matcher.js'
import { compilePattern } from '../../src/query/pattern.js'
import { canonical } from '../../src/storage/term.js'
import { uniqueName } from '../node/helpers.js'

let db: Database
beforeAll(async () => {
  db = await openDatabase({ name: uniqueName('plan') })
})
afterAll(async () => {
  await db.close()
})

const small = fc.integer({ min: 0, max: 3 })
const keyArb = fc.oneof(small, fc.tuple(small, small), fc.tuple(small, fc.constantFrom('a', 'b'), small))
const recArb = fc.record({ k: keyArb, a: small, b: fc.constantFrom('x', 'y', 'z'), c: fc.oneof(small, fc.tuple(small, small)) })
const term = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(arb, fc.constant('_'), fc.constantFrom('$1', '$2'))
const keyPattern = fc.oneof(term(keyArb), fc.tuple(term(small), term(small)), fc.tuple(small, fc.constant('_'), fc.constant('_')), fc.tuple(small, term(fc.constantFrom('a', 'b')), term(small)))
const patternArb = fc.record({ k: keyPattern, a: term(small), b: term(fc.constantFrom('x', 'y')) }, { requiredKeys: [] })
// Guards use $9, which the head always binds (to attribute c).
const guardArb = fc.constantFrom<unknown[][]>([], [['>', '$9', 1]], [['orelse', ['==', '$9', 0], ['is_array', '$9']]], [['=/=', '$9', 2]])
let n = 0

it('select and matchObject through the planner equal a full evaluation (300 random tables, patterns and specs)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('set', 'ordered_set', 'bag'),
      fc.constantFrom('ram_copies', 'disc_copies', 'disc_only_copies'),
      fc.array(recArb, { maxLength: 25 }),
      patternArb,
      guardArb,
      async (type, storage, recs, pattern, guards) => {
        const tab = `t${String(++n)}`
        await db.createTable(tab, { attributes: ['k', 'a', 'b', 'c'], type, storage, index: ['a', 'b'] })
        await db.transaction(async (t) => {
          for (const r of recs) await t.write(tab, r)
        })
        const all = await db.dirtyMatchObject(tab, {})
        const spec = [[{ ...pattern, c: '$9' }, guards, [['$_', '$9']]]]
        const byPlan = await db.dirtySelect(tab, spec)
        const m = compileMatchSpec({ attributes: ['k', 'a', 'b', 'c'] }, spec)
        const full = all.map((r) => m.run(r)).filter((x) => x !== NO_MATCH)
        const sorted = (xs: unknown[]): string[] => xs.map(canonical).sort()
        expect(sorted(byPlan)).toEqual(sorted(full))
        const p = compilePattern({ attributes: ['k', 'a', 'b', 'c'] }, pattern)
        expect(sorted(await db.dirtyMatchObject(tab, pattern))).toEqual(sorted(all.filter((r) => p.run(r) !== NO_MATCH)))
        await db.deleteTable(tab)
      },
    ),
    { numRuns: 300, seed: 7 },
  )
}, 120_000)
