/**
 * Typed generation of match-spec guard and body expressions (webnesia's prefix-array syntax).
 *
 * Every expression carries the set of types its value may have, so that the generator keeps to
 * the part of the language where Erlang and webnesia agree by construction (see `ops.ts`):
 * comparisons never mix strings with arrays, or booleans with non-booleans; `=:=`, `is_integer`
 * and `is_float` never see a float that arithmetic may have made integral; `size` never sees a
 * string, a record or `'$$'`. In `safe` mode (bodies, while 'body-exit-in-place' is a known
 * difference) an expression cannot raise: arithmetic only on numbers, divisors non-zero literals,
 * `element` in range.
 *
 * @module
 */
import type { Dom } from './ops.js'

/** The PRNG interface the generators use. */
export interface Rand {
  next(): number
  int(lo: number, hi: number): number
  pick<T>(xs: readonly T[]): T
  chance(p: number): boolean
}

/**
 * Base types: i integer, f non-integral float, F float arithmetic made (maybe integral), s string,
 * p 2-array, b boolean, r record, T another array ('$$', a template).
 */
type Base = 'i' | 'f' | 'F' | 's' | 'p' | 'b' | 'r' | 'T'
type Ty = ReadonlySet<Base>

/** A head variable and the domain it is bound to (`'record'` for a whole-record head). */
export interface VarInfo {
  readonly name: string
  readonly dom: Dom | 'record'
}

interface Typed {
  readonly e: unknown
  readonly t: Ty
}

const DOM_TYPES: Record<Dom | 'record', readonly Base[]> = {
  int: ['i'],
  num: ['i', 'f'],
  scalar: ['i', 'f', 's'],
  pair: ['p'],
  intstr: ['i', 's'],
  record: ['r'],
}

const ty = (...b: Base[]): Ty => new Set(b)
const sub = (t: Ty, allowed: readonly Base[]): boolean => [...t].every((b) => allowed.includes(b))
const has = (t: Ty, b: Base): boolean => t.has(b)

function union(...ts: Ty[]): Set<Base> {
  const u = new Set<Base>()
  for (const t of ts) for (const b of t) u.add(b)
  return u
}

/** Two operands whose comparison means the same in Erlang and in webnesia. */
function comparable(a: Ty, b: Ty, exact: boolean): boolean {
  const u = union(a, b)
  if (u.has('r') || u.has('T')) return false
  if (u.has('b') && !sub(u, ['b'])) return false
  if (u.has('s') && u.has('p')) return false
  if (exact && u.has('F')) return false
  return true
}

/** The expression generators over one clause's variables. */
export interface ExprGen {
  /** A guard expression (any type; the clause passes only when it is `true`). */
  guard(): unknown
  /** A body expression. */
  body(): unknown
}

/** A generator over the head's variables; `safe`: bodies that cannot raise. */
export function exprGen(r: Rand, vars: readonly VarInfo[], opts: { safe: boolean }): ExprGen {
  const safe = opts.safe
  const typedVars: Typed[] = vars.map((v) => ({ e: v.name, t: ty(...DOM_TYPES[v.dom]) }))
  const varsOf = (allowed: readonly Base[]): Typed[] => typedVars.filter((v) => sub(v.t, allowed))

  const numLit = (): Typed => (r.chance(0.75) ? { e: r.pick([-1, 0, 1, 2, 3, 5]), t: ty('i') } : { e: r.pick([0.5, 1.5, -2.5]), t: ty('f') })
  const strLit = (): Typed => ({ e: r.pick(['a', 'ab', 'b', 'c']), t: ty('s') })
  const pairLit = (): Typed => ({ e: ['const', [r.pick([1, 2, 'a']), r.pick([0, 3, 'b'])]], t: ty('p') })

  /** A numeric expression (in safe mode: cannot raise). */
  function num(depth: number): Typed {
    const nv = varsOf(['i', 'f'])
    const x = r.next()
    if (depth <= 0 || x < 0.35) return nv.length > 0 && r.chance(0.7) ? r.pick(nv) : numLit()
    if (!safe && x < 0.45) {
      // Anything at all: raises on strings, pairs, records.
      const op = r.pick(['+', '-', '*', 'div', 'rem', '/', 'abs'])
      // div and rem raise on Erlang's 2.0 where webnesia has the integer 2: no 'F' operands.
      const noF = (x: Typed): Typed => (op !== 'div' && op !== 'rem') || !has(x.t, 'F') ? x : numLit()
      const a = noF(any(depth - 1))
      if (op === 'abs') return { e: ['abs', a.e], t: has(a.t, 'F') ? ty('i', 'F') : ty('i', 'f') }
      const b = noF(r.chance(0.5) ? num(depth - 1) : any(depth - 1))
      return { e: [op, a.e, b.e], t: op === 'div' || op === 'rem' ? ty('i') : ty('i', 'F') }
    }
    const a = num(depth - 1)
    const op = r.pick(['+', '-', '*', '-u', 'abs', 'div', 'rem', '/'])
    if (op === '-u') return { e: ['-', a.e], t: a.t }
    if (op === 'abs') return { e: ['abs', a.e], t: a.t }
    if (op === 'div' || op === 'rem') {
      const ia = safe || has(a.t, 'F') ? (nvInt(depth - 1) ?? { e: 3, t: ty('i') }) : a
      const d = safe ? r.pick([1, 2, 3, -2]) : r.pick([0, 1, 2, 3, -2])
      return { e: [op, ia.e, d], t: ty('i') }
    }
    if (op === '/') return { e: ['/', a.e, safe ? r.pick([2, 4, 0.5, -1]) : r.pick([0, 2, 4, 0.5])], t: ty('F') }
    const b = num(depth - 1)
    const u = union(a.t, b.t)
    return { e: [op, a.e, b.e], t: sub(u, ['i']) ? ty('i') : ty('i', 'F') }
  }

  function nvInt(depth: number): Typed | undefined {
    const iv = varsOf(['i'])
    if (iv.length > 0 && r.chance(0.7)) return r.pick(iv)
    if (depth > 0 && r.chance(0.5)) {
      const a = nvInt(depth - 1)
      if (a) return { e: [r.pick(['+', '*', '-']), a.e, r.pick([1, 2, -3])], t: ty('i') }
    }
    return undefined
  }

  /** An element of a pair: a string or an integer. */
  function element(): Typed | undefined {
    const pv = varsOf(['p'])
    if (pv.length === 0 && safe) return undefined
    const target = pv.length > 0 && r.chance(0.85) ? r.pick(pv) : safe ? pairLit() : r.chance(0.5) ? pairLit() : any(0)
    if (!safe && !sub(target.t, ['i', 'f', 'F', 's', 'p', 'b'])) return undefined
    const n = safe ? r.pick([1, 2]) : r.pick([0, 1, 2, 2, 3])
    return { e: ['element', n, target.e], t: ty('i', 's') }
  }

  /** Any expression that is not a boolean test. */
  function any(depth: number): Typed {
    const x = r.next()
    if (x < 0.4 && typedVars.length > 0) {
      const v = r.pick(typedVars)
      return v
    }
    if (x < 0.6) return num(depth)
    if (x < 0.7) {
      const e = element()
      if (e) return e
    }
    if (x < 0.8) return strLit()
    if (x < 0.85) return pairLit()
    if (x < 0.9) {
      const candidates = typedVars.filter((v) => sub(v.t, ['p', 'i', 'f']))
      if (candidates.length > 0) {
        const v = r.pick(candidates)
        if (safe && !sub(v.t, ['p'])) return { e: ['size', ['const', [1, 2]]], t: ty('i') }
        return { e: ['size', v.e], t: ty('i') }
      }
    }
    return numLit()
  }

  /** A boolean expression (in fallible mode its operands may be anything and raise). */
  function bool(depth: number): Typed {
    const x = r.next()
    if (x < 0.5 || depth <= 0) return compare(depth)
    if (x < 0.65) return typeTest()
    if (x < 0.7) return { e: r.chance(0.8), t: ty('b') }
    const op = r.pick(['andalso', 'orelse', 'and', 'or', 'not', 'xor'])
    const arg = (): Typed => (!safe && r.chance(0.1) ? any(0) : bool(depth - 1))
    if (op === 'not') return { e: ['not', arg().e], t: ty('b') }
    const n = op === 'xor' || op === 'and' || op === 'or' || r.chance(0.8) ? 2 : 3
    return { e: [op, ...Array.from({ length: n }, () => arg().e)], t: ty('b') }
  }

  function compare(depth: number): Typed {
    for (let tries = 0; tries < 8; tries++) {
      const op = r.pick(['==', '/=', '=:=', '=/=', '<', '=<', '>', '>='])
      const exact = op === '=:=' || op === '=/='
      const a = r.chance(0.6) && typedVars.length > 0 ? r.pick(typedVars) : any(depth - 1)
      const b = r.chance(0.5) ? any(depth - 1) : r.pick([numLit(), strLit(), pairLit()])
      if (comparable(a.t, b.t, exact)) return { e: r.chance(0.5) ? [op, a.e, b.e] : [op, b.e, a.e], t: ty('b') }
    }
    return { e: ['<', numLit().e, numLit().e], t: ty('b') }
  }

  function typeTest(): Typed {
    const candidates = typedVars.filter((v) => !has(v.t, 'T'))
    const v = candidates.length > 0 && r.chance(0.8) ? r.pick(candidates) : any(0)
    // is_boolean: not a match-spec function in OTP 25 (ets:match_spec_compile rejects it).
    const tests = ['is_number', 'is_string']
    if (!has(v.t, 'F')) tests.push('is_integer', 'is_float')
    if (!has(v.t, 'r') && !has(v.t, 'T')) tests.push('is_array')
    return { e: [r.pick(tests), v.e], t: ty('b') }
  }

  function body(depth: number): Typed {
    const x = r.next()
    if (x < 0.25 && typedVars.length > 0) return r.pick(typedVars)
    if (x < 0.35) return { e: '$_', t: ty('r') }
    if (x < 0.42) return { e: '$$', t: ty('T') }
    if (x < 0.6) return num(2)
    if (x < 0.7) return bool(1)
    if (x < 0.88 && depth > 0) {
      const first = typedVars.length > 0 && r.chance(0.7) ? r.pick(typedVars) : body(depth - 1)
      const rest = Array.from({ length: r.int(0, 2) }, () => body(depth - 1).e)
      return { e: [first.e, ...rest], t: ty('T') }
    }
    return any(1)
  }

  return {
    guard: () => (r.chance(0.85) ? bool(2).e : any(1).e),
    body: () => body(1).e,
  }
}
