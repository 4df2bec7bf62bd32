/**
 * Property tests: the compiled matchers against a naive reference interpreter written here,
 * independently of src/query (it walks the spec tree for every record, binds variables in a Map,
 * signals failure with exceptions and compares with its own term order). The planner's plan is
 * checked to contain every matching record.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileMatchSpec } from '../../src/query/match-spec.js'
import { BODY_EXIT, NO_MATCH } from '../../src/query/matcher.js'
import { compilePattern } from '../../src/query/pattern.js'
import { keyHasPrefix, planQuery, type Plan } from '../../src/query/planner.js'
import { importRecord, type Rec } from '../../src/storage/record.js'
import { canonical } from '../../src/storage/term.js'
import { table } from './fixtures.js'

// ---------------------------------------------------------------- the reference interpreter

class Fail extends Error {}
const fail = (): never => {
  throw new Fail()
}
const isVar = (s: unknown): s is string => typeof s === 'string' && /^\$[0-9]+$/.test(s)
const varNo = (s: string): number => parseInt(s.slice(1), 10)
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)
const isBin = (v: unknown): boolean => v instanceof Uint8Array || v instanceof ArrayBuffer
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !isBin(v)

function refRank(v: unknown): number {
  if (v === null) return 1
  if (typeof v === 'boolean') return 2
  if (typeof v === 'number') return 3
  if (v instanceof Date) return 4
  if (typeof v === 'string') return 5
  if (isBin(v)) return 6
  if (Array.isArray(v)) return 7
  return 8
}
function refCmp(a: unknown, b: unknown): number {
  const d = refRank(a) - refRank(b)
  if (d !== 0) return Math.sign(d)
  if (typeof a === 'boolean') return Number(a) - Number(b)
  if (typeof a === 'number') return Math.sign(a - (b as number)) || 0
  if (a instanceof Date) return Math.sign(a.getTime() - (b as Date).getTime())
  if (typeof a === 'string') return a === b ? 0 : a < (b as string) ? -1 : 1
  if (isBin(a)) return refCmp(Array.from(new Uint8Array(a as Uint8Array)), Array.from(new Uint8Array(b as Uint8Array)))
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = refCmp(a[i], bb[i])
      if (c !== 0) return c
    }
    return Math.sign(a.length - bb.length)
  }
  if (a === null) return 0
  const ka = Object.keys(a as object).sort()
  const kb = Object.keys(b as object).sort()
  const vals = (o: unknown, ks: string[]): unknown[] => ks.map((k) => (o as Record<string, unknown>)[k])
  return refCmp(ka, kb) || refCmp(vals(a, ka), vals(b, kb))
}

function refMatch(p: unknown, v: unknown, env: Map<number, unknown>): boolean {
  if (p === '_') return true
  if (isVar(p)) {
    if (v === undefined) return false
    const n = varNo(p)
    if (env.has(n)) return same(env.get(n), v)
    env.set(n, v)
    return true
  }
  if (Array.isArray(p)) return Array.isArray(v) && v.length === p.length && p.every((x, i) => refMatch(x, v[i], env))
  if (isMap(p) && !isBin(p)) {
    if (!isMap(v)) return false
    const pk = Object.keys(p).sort()
    return same(pk, Object.keys(v).sort()) && pk.every((k) => refMatch(p[k], v[k], env))
  }
  return v !== undefined && same(p, v)
}

function refHead(head: unknown, rec: Rec, env: Map<number, unknown>): boolean {
  if (head === '_') return true
  if (isVar(head)) return refMatch(head, rec, env)
  return Object.entries(head as Record<string, unknown>).every(([a, p]) => refMatch(p, rec[a], env))
}

const NUM = (x: unknown): number => (typeof x === 'number' ? x : fail())
const INT = (x: unknown): number => (Number.isInteger(x) ? (x as number) : fail())
const BOOL = (x: unknown): boolean => (typeof x === 'boolean' ? x : fail())
const ok = (n: number): number => (Number.isNaN(n) ? fail() : n)
const refOps: Record<string, (...xs: unknown[]) => unknown> = {
  '==': (a, b) => same(a, b), '=:=': (a, b) => same(a, b), '/=': (a, b) => !same(a, b), '=/=': (a, b) => !same(a, b),
  '<': (a, b) => refCmp(a, b) < 0, '=<': (a, b) => refCmp(a, b) <= 0,
  '>': (a, b) => refCmp(a, b) > 0, '>=': (a, b) => refCmp(a, b) >= 0,
  and: (...xs) => xs.map(BOOL).every(Boolean), or: (...xs) => xs.map(BOOL).some(Boolean),
  not: (a) => !BOOL(a), xor: (a, b) => BOOL(a) !== BOOL(b),
  '+': (...xs) => ok(xs.length === 1 ? NUM(xs[0]) : NUM(xs[0]) + NUM(xs[1])),
  '-': (...xs) => ok(xs.length === 1 ? -NUM(xs[0]) : NUM(xs[0]) - NUM(xs[1])),
  '*': (a, b) => ok(NUM(a) * NUM(b)),
  '/': (a, b) => (NUM(b) === 0 ? fail() : ok(NUM(a) / NUM(b))),
  div: (a, b) => (INT(b) === 0 ? fail() : ok(Math.trunc(INT(a) / INT(b)))),
  rem: (a, b) => (INT(b) === 0 ? fail() : ok(INT(a) % INT(b))),
  abs: (a) => Math.abs(NUM(a)),
  min: (a, b) => (refCmp(a, b) <= 0 ? a : b), max: (a, b) => (refCmp(a, b) >= 0 ? a : b),
  is_number: (a) => typeof a === 'number', is_integer: (a) => Number.isInteger(a),
  is_float: (a) => typeof a === 'number' && !Number.isInteger(a), is_string: (a) => typeof a === 'string',
  is_boolean: (a) => typeof a === 'boolean', is_null: (a) => a === null, is_array: (a) => Array.isArray(a),
  is_object: (a) => isMap(a), is_date: (a) => a instanceof Date, is_binary: (a) => isBin(a),
  element: (n, t) => {
    const i = INT(n)
    return Array.isArray(t) && i >= 1 && i <= t.length ? (t[i - 1] as unknown) : fail()
  },
  size: (a) => (Array.isArray(a) ? a.length : isBin(a) ? (a as Uint8Array).byteLength : fail()),
  length: (a) => (Array.isArray(a) ? a.length : fail()),
  map_get: (k, m) => (typeof k === 'string' && isMap(m) && k in m ? m[k] : fail()),
  is_map_key: (k, m) => (typeof k === 'string' && isMap(m) ? k in m : fail()),
}

const TYPE_TESTS = new Set(Object.keys(refOps).filter((op) => op.startsWith('is_') && op !== 'is_map_key'))

/**
 * Evaluates an expression. In a guard (`body` false) a failure raises `Fail`; in a body, as in
 * OTP 25's match specs, an operator call that fails is the value 'EXIT' in its own place.
 * `andalso`/`orelse` return their last operand as it is (OTP: `{'andalso', true, 5}` is 5).
 */
function refEval(e: unknown, env: Map<number, unknown>, rec: Rec, body: boolean, catchHere = true): unknown {
  if (e === '$_') return rec
  if (e === '$$') return [...env.keys()].sort((a, b) => a - b).map((k) => env.get(k))
  if (isVar(e)) return env.get(varNo(e))
  if (Array.isArray(e)) {
    const [op, ...args] = e as [unknown, ...unknown[]]
    if (op === 'const') return args[0]
    const call = (f: () => unknown): unknown => {
      if (!body || !catchHere) return f()
      try {
        return f()
      } catch (err) {
        if (err instanceof Fail) return BODY_EXIT
        throw err
      }
    }
    if (op === 'andalso' || op === 'orelse') {
      return call(() => {
        for (let i = 0; i < args.length - 1; i++) {
          const v = BOOL(refEval(args[i], env, rec, body))
          if (v === (op === 'orelse')) return v
        }
        return refEval(args[args.length - 1], env, rec, body)
      })
    }
    const f = typeof op === 'string' ? refOps[op] : undefined
    if (f !== undefined && body && TYPE_TESTS.has(op as string)) {
      // OTP 25: the argument's own failure is the atom 'EXIT', which no type test accepts
      // (is_binary(size(-1.5)) is false in a body), though webnesia returns 'EXIT' as a string.
      try {
        return f(refEval(args[0], env, rec, body, false))
      } catch (err) {
        if (err instanceof Fail) return false
        throw err
      }
    }
    if (f !== undefined) return call(() => f(...args.map((a) => refEval(a, env, rec, body))))
    return e.map((x) => refEval(x, env, rec, body))
  }
  if (isMap(e)) return Object.fromEntries(Object.entries(e).map(([k, x]) => [k, refEval(x, env, rec, body)]))
  return e
}

function refSelect(spec: readonly (readonly unknown[])[], rec: Rec): unknown {
  for (const [head, guards, body] of spec) {
    const env = new Map<number, unknown>()
    if (!refHead(head, rec, env)) continue
    let pass: boolean
    try {
      pass = (guards as unknown[]).every((g) => refEval(g, env, rec, false) === true)
    } catch (err) {
      if (err instanceof Fail) pass = false
      else throw err
    }
    if (!pass) continue
    // Only the last body expression gives the result; a failure in the others is ignored (OTP).
    const b = body as unknown[]
    return refEval(b[b.length - 1], env, rec, true)
  }
  return NO_MATCH
}

// ---------------------------------------------------------------- generators

const t = table('ref', { attributes: ['k', 'a', 'b', 'c'], type: 'ordered_set', index: ['a', 'b'] })

const atom = fc.constantFrom<unknown>(0, 1, 2, -1, 2.5, 'x', 'y', '', true, false, null)
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: atom },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom('x', 'y')) },
  fc.array(atom, { maxLength: 3 }),
  fc.record({ p: atom }),
  fc.record({ p: atom, q: fc.constantFrom(1, 'x') }, { requiredKeys: ['p'] }),
  fc.constantFrom(new Date(0), new Date(1), new Uint8Array([1]), new Uint8Array([1, 2])),
)
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom('x', 'y'),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('x', 'y')),
)
/** Present with probability 1 - 1/freq, or absent. */
const maybe = <T>(arb: fc.Arbitrary<T>, freq: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: freq - 1, arbitrary: arb })
const dropUndefined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
const recordArb = fc
  .record({ k: keyArb, a: maybe(valueArb, 6), b: maybe(valueArb, 6), c: maybe(valueArb, 6) })
  .map((r) => importRecord(t, dropUndefined(r)))
const recordsArb = fc.array(recordArb, { minLength: 1, maxLength: 12 })

const varArb = fc.constantFrom('$1', '$2', '$3')
const patLeaf = fc.oneof(
  { weight: 5, arbitrary: fc.constant('_') },
  { weight: 5, arbitrary: varArb },
  { weight: 3, arbitrary: atom },
  fc.constantFrom<unknown>(new Date(0), new Uint8Array([1])),
)
const nestedPat: fc.Arbitrary<unknown> = fc.letrec<{ p: unknown }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    { weight: 4, arbitrary: patLeaf },
    fc.array(tie('p'), { maxLength: 3 }),
    fc.record({ p: tie('p') }),
    fc.record({ p: tie('p'), q: tie('p') }),
  ),
})).p
const patArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: patLeaf },
  { weight: 3, arbitrary: fc.tuple(patLeaf, patLeaf) },
  { weight: 2, arbitrary: fc.record({ p: patLeaf }) },
  { weight: 2, arbitrary: nestedPat },
)
const keyPatArb = fc.oneof(
  { weight: 3, arbitrary: patLeaf },
  { weight: 1, arbitrary: keyArb },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.oneof(fc.integer({ min: 0, max: 2 }), varArb, fc.constant('_')),
      fc.oneof(fc.constantFrom('x', 'y', '_'), varArb),
    ),
  },
)
const absentMostly = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: arb })
const objHeadArb = fc
  .record({ k: absentMostly(keyPatArb), a: absentMostly(patArb), b: absentMostly(patArb), c: absentMostly(patArb) })
  .map(dropUndefined)
const headArb: fc.Arbitrary<unknown> = fc.oneof({ weight: 8, arbitrary: objHeadArb }, fc.constantFrom('_', '$4'))

function varsOf(p: unknown, out: Set<string>): Set<string> {
  if (isVar(p)) out.add(p)
  else if (Array.isArray(p)) p.forEach((x) => varsOf(x, out))
  else if (isMap(p)) Object.values(p).forEach((x) => varsOf(x, out))
  return out
}

function exprArb(vars: string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    { weight: vars.length > 0 ? 5 : 0, arbitrary: vars.length > 0 ? fc.constantFrom(...vars) : fc.constant(0) },
    { weight: 3, arbitrary: fc.constantFrom<unknown>(0, 1, 2, 3, 220, -1, -7, 2.5, 'x', true, false, null) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>('$_', '$$') },
    { weight: 1, arbitrary: valueArb.map((v) => ['const', v]) },
  )
  return fc.letrec<{ e: unknown }>((tie) => {
    const e = tie('e')
    const ops1 = ['not', '-', 'abs', 'is_number', 'is_integer', 'is_float', 'is_string', 'is_boolean', 'is_null',
      'is_array', 'is_object', 'is_date', 'is_binary', 'size', 'length']
    const ops2 = ['==', '=:=', '/=', '=/=', '<', '=<', '>', '>=', 'xor', '+', '-', '*', '/', 'div', 'rem', 'min', 'max',
      'map_get', 'is_map_key']
    return {
      e: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        leaf,
        fc.tuple(fc.constantFrom(...ops1), e),
        fc.tuple(fc.constantFrom(...ops2), e, e),
        fc.tuple(fc.constant('element'), fc.oneof(fc.constantFrom(0, 1, 2, 3), e), e),
        fc
          .tuple(fc.constantFrom('andalso', 'orelse', 'and', 'or'), fc.array(e, { minLength: 1, maxLength: 3 }))
          .map(([op, xs]) => [op, ...xs]),
        fc.tuple(fc.constant(7), e), // array template (first element not a string)
        fc.record({ r: e }),
      ),
    }
  }).e
}

/** Guard-shaped expressions (tests and comparisons), so that guards hold often enough. */
function guardArb(vars: string[]): fc.Arbitrary<unknown> {
  const e = exprArb(vars)
  const test = fc.oneof(
    fc.tuple(fc.constantFrom('==', '/=', '<', '=<', '>', '>='), e, e),
    fc.tuple(fc.constantFrom('is_number', 'is_string', 'is_array', 'is_object', 'is_null', 'is_boolean'), e),
    fc.constant(true),
  )
  return fc.oneof(
    { weight: 4, arbitrary: test },
    fc
      .tuple(fc.constantFrom('orelse', 'or', 'not'), test, test)
      .map(([op, a, b]) => (op === 'not' ? [op, a] : [op, a, b])),
    { weight: 1, arbitrary: e },
  )
}

const clauseArb = headArb.chain((head) => {
  const vars = [...varsOf(head, new Set())]
  const e = exprArb(vars)
  const simple = fc.constantFrom<unknown>('$_', '$$', 42, ...vars)
  const result = fc.oneof(
    { weight: 3, arbitrary: simple },
    fc.tuple(simple, simple), // a template; its first element is never an operator name
    fc.record({ r: simple, s: e }),
    { weight: 3, arbitrary: e },
  )
  const guards = fc.array(guardArb(vars), { maxLength: 2 })
  return fc.tuple(fc.constant(head), guards, fc.array(result, { minLength: 1, maxLength: 2 }))
})
const specArb = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(clauseArb) },
  { weight: 1, arbitrary: fc.array(clauseArb, { minLength: 2, maxLength: 3 }) },
)

// ---------------------------------------------------------------- properties

function sameResult(a: unknown, b: unknown): boolean {
  if (a === NO_MATCH || b === NO_MATCH) return a === b
  return canonical(a) === canonical(b)
}

const show = (v: unknown): string => (v === NO_MATCH ? 'NO_MATCH' : canonical(v))

function inPlan(plan: Plan, r: Rec): boolean {
  switch (plan.kind) {
    case 'scan':
      return true
    case 'lookup':
      return plan.keys.some((k) => same(k, r.k))
    case 'index':
      return plan.values.some((v) => same(v, r[plan.attr]))
    case 'range':
      return keyHasPrefix(r.k, plan.prefix)
  }
}

describe('compiled matchers agree with the reference interpreter', () => {
  it('compileMatchSpec + run, and the plan holds every matching record', () => {
    fc.assert(
      fc.property(specArb, recordsArb, (spec, recs) => {
        const m = compileMatchSpec(t, spec)
        const plan = planQuery(t, m)
        for (const r of recs) {
          const got = m.run(r)
          const want = refSelect(spec, r)
          if (!sameResult(got, want)) throw new Error(`record ${canonical(r)}: got ${show(got)}, want ${show(want)}`)
          if (got !== NO_MATCH && !inPlan(plan, r)) throw new Error(`plan ${canonical(plan)} misses ${canonical(r)}`)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('compilePattern + run, and the plan holds every matching record', () => {
    fc.assert(
      fc.property(objHeadArb, recordsArb, (pattern, recs) => {
        const m = compilePattern(t, pattern)
        const plan = planQuery(t, m)
        for (const r of recs) {
          const want = refHead(pattern, r, new Map())
          const got = m.run(r)
          if ((got === r) !== want || (got !== r && got !== NO_MATCH)) return false
          if (want && !inPlan(plan, r)) return false
        }
        return true
      }),
      { numRuns: 1000 },
    )
  })

  it('arithmetic, comparison and boolean expression trees over numbers', () => {
    const n = fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(2.5, -0.5, 0))
    const num: fc.Arbitrary<unknown> = fc.letrec<{ e: unknown }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', maxDepth: 4 },
        { weight: 2, arbitrary: n },
        fc.tuple(fc.constantFrom('+', '-', '*', '/', 'div', 'rem', 'min', 'max'), tie('e'), tie('e')),
        fc.tuple(fc.constantFrom('-', '+', 'abs'), tie('e')),
      ),
    })).e
    const bool = fc.oneof(
      fc.tuple(fc.constantFrom('==', '/=', '<', '=<', '>', '>='), num, num),
      fc.tuple(fc.constantFrom('is_integer', 'is_float'), num),
    )
    const expr = fc.oneof(num, bool, fc.tuple(fc.constantFrom('andalso', 'orelse', 'and', 'or', 'xor'), bool, bool))
    const rec = importRecord(t, { k: 1 })
    fc.assert(
      fc.property(expr, (e) => {
        const spec = [['_', [], [e]]]
        return sameResult(compileMatchSpec(t, spec).run(rec), refSelect(spec, rec))
      }),
      { numRuns: 1000 },
    )
  })

  it('the generators reach matches, guard failures, EXITs and every plan kind (not vacuous)', () => {
    const seen = { match: 0, none: 0, exit: 0, lookup: 0, index: 0, range: 0, scan: 0 }
    fc.assert(
      fc.property(specArb, recordsArb, (spec, recs) => {
        const m = compileMatchSpec(t, spec)
        seen[planQuery(t, m).kind]++
        for (const r of recs) {
          const v = m.run(r)
          if (v === NO_MATCH) seen.none++
          else if (v === BODY_EXIT || (typeof v === 'object' && JSON.stringify(v).includes(`"${BODY_EXIT}"`))) seen.exit++
          else seen.match++
        }
      }),
      { numRuns: 1000, seed: 42 },
    )
    expect(seen.match).toBeGreaterThan(500)
    expect(seen.none).toBeGreaterThan(1000)
    expect(seen.exit).toBeGreaterThan(200)
    for (const k of ['lookup', 'index', 'range', 'scan'] as const) expect(seen[k], k).toBeGreaterThan(5)
  })
})
