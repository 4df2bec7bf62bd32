/**
 * Guard and body expressions of match specifications, compiled to closures.
 *
 * Grammar (JSON-friendly prefix arrays standing for Erlang's tuples):
 *
 *     expr := '$N' | '$_' | '$$'                      variable, the record, all variables
 *           | number | boolean | null | string        literal (a string that is not '_', '$_',
 *           | Date | binary                               '$$' or '$N'; '_' is an error)
 *           | ['const', X]                            X as it is (any plain value)
 *           | [op, expr, ...]                         operator call (op a known name, see OPS)
 *           | [expr, ...] | { name: expr, ... }       template: built from the evaluated parts
 *
 * An array whose first element is a string other than '_', '$_', '$$', '$N' is an operator call
 * when the string names an operator. Otherwise it is a template - in a body. In a GUARD it is a
 * `BadMatchSpecError` ("unknown guard function"): a misspelt test must not silently become a
 * template that is never `true`. A literal array starting with such a string needs `['const', …]`;
 * so does, everywhere, an array whose first element is an operator name.
 *
 * Failure (Erlang's exceptions in match specs): arithmetic on non-numbers, division by zero,
 * `div`/`rem` on non-integers, a NaN result, boolean operators on non-booleans, `element` out of
 * range, `size`/`length` of a non-array... evaluate to the private symbol {@link FAIL}, which
 * propagates through every operator of a guard. A guard that is not exactly `true` (FAIL
 * included) fails its clause. In a body, as in Erlang, a call that raises becomes the value
 * `'EXIT'` (`BODY_EXIT`) in its own place and evaluation goes on: a template keeps its other
 * parts, a comparison compares `'EXIT'`, arithmetic on it raises again (giving `'EXIT'`).
 *
 * Comparisons use term order (`compareTerms`); `==`/`=:=` are deep equality (`termEquals`), and
 * `/=`/`=/=` its negation - JS has one number type, so Erlang's 1 == 1.0 distinction vanishes.
 *
 * Each expression is compiled once into a closure `(state) => value`; nothing walks the spec tree
 * per record and nothing uses `eval`/`new Function` (CSP-safe).
 *
 * @module
 */
import type { Rec } from '../storage/record.js'
import { isPlainObject } from '../storage/record.js'
import { bad, checkLiteral, constantGetter, isBinary, isSpecial, varNumber } from './literal.js'
import { BODY_EXIT } from './matcher.js'
import { compareTerms, termEquals } from './term-order.js'

/** The value of an expression that raised. */
export const FAIL: unique symbol = Symbol('webnesia.matchFail')

/** What an expression reads: the record and the head's variables (by slot). */
export interface ExprState {
  rec: Rec
  readonly vars: unknown[]
}

/** A compiled expression. */
export type Expr = (s: ExprState) => unknown

/** A compiled expression, with its value when it is a constant. */
export interface CompiledExpr {
  readonly fn: Expr
  readonly konst?: { readonly value: unknown }
}

/** Compilation context. */
export interface ExprCtx {
  /** Variable number → slot, from the head. */
  readonly slots: ReadonlyMap<number, number>
  /** Guards reject unknown operator names; bodies treat such arrays as templates. */
  readonly inGuard: boolean
}

type Arity = number | readonly [number, number]
interface Op {
  readonly arity: Arity
  readonly build: (args: readonly Expr[]) => Expr
  /** A type test's predicate (`is_*`): in a body, an argument that raised is the atom 'EXIT', which none accepts. */
  readonly typeTest?: (x: unknown) => boolean
}

const num = (r: number): unknown => (Number.isNaN(r) ? FAIL : r === 0 ? 0 : r)
const isNum = (x: unknown): x is number => typeof x === 'number'
const isInt = (x: unknown): x is number => Number.isInteger(x)
const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date) && !isBinary(x)

function un(f: (x: unknown) => unknown): (args: readonly Expr[]) => Expr {
  return ([a]) => {
    const fa = a as Expr
    return (s) => {
      const x = fa(s)
      return x === FAIL ? FAIL : f(x)
    }
  }
}

function bin(f: (x: unknown, y: unknown) => unknown): (args: readonly Expr[]) => Expr {
  return ([a, b]) => {
    const fa = a as Expr
    const fb = b as Expr
    return (s) => {
      const x = fa(s)
      if (x === FAIL) return FAIL
      const y = fb(s)
      return y === FAIL ? FAIL : f(x, y)
    }
  }
}

/** `+` and `-`: unary or binary. */
function plusMinus(sign: 1 | -1): (args: readonly Expr[]) => Expr {
  const one = un((x) => (isNum(x) ? num(sign * x) : FAIL))
  const two = bin((x, y) => (isNum(x) && isNum(y) ? num(sign === 1 ? x + y : x - y) : FAIL))
  return (args) => (args.length === 1 ? one(args) : two(args))
}

/**
 * `andalso`/`orelse`: left to right, stop at the deciding value. As in Erlang (`true andalso X`
 * is X), the LAST operand is not checked: its value is the result, boolean or not (OTP's match
 * specs agree: `{'andalso', true, 5}` gives 5 in a body; in a guard only `true` passes anyway).
 */
function shortCircuit(stopAt: boolean): (args: readonly Expr[]) => Expr {
  return (args) => {
    const last = args.length - 1
    return (s) => {
      for (let i = 0; i < last; i++) {
        const v = (args[i] as Expr)(s)
        if (v === stopAt) return stopAt
        if (v !== !stopAt) return FAIL
      }
      return (args[last] as Expr)(s)
    }
  }
}

/** `and`/`or`: every operand evaluated, all must be booleans. */
function strict(isAnd: boolean): (args: readonly Expr[]) => Expr {
  return (args) => (s) => {
    let r = isAnd
    for (const a of args) {
      const v = a(s)
      if (typeof v !== 'boolean') return FAIL
      r = isAnd ? r && v : r || v
    }
    return r
  }
}

const test = (f: (x: unknown) => boolean): Op => ({ arity: 1, build: un(f), typeTest: f })
const cmp = (f: (c: number) => boolean): Op => ({ arity: 2, build: bin((x, y) => f(compareTerms(x, y))) })

/** Every operator, by name. */
const OPS: ReadonlyMap<string, Op> = new Map<string, Op>([
  ['==', { arity: 2, build: bin(termEquals) }],
  ['=:=', { arity: 2, build: bin(termEquals) }],
  ['/=', { arity: 2, build: bin((x, y) => !termEquals(x, y)) }],
  ['=/=', { arity: 2, build: bin((x, y) => !termEquals(x, y)) }],
  ['<', cmp((c) => c < 0)],
  ['=<', cmp((c) => c <= 0)],
  ['>', cmp((c) => c > 0)],
  ['>=', cmp((c) => c >= 0)],
  ['andalso', { arity: [1, Infinity], build: shortCircuit(false) }],
  ['orelse', { arity: [1, Infinity], build: shortCircuit(true) }],
  ['and', { arity: [1, Infinity], build: strict(true) }],
  ['or', { arity: [1, Infinity], build: strict(false) }],
  ['not', { arity: 1, build: un((x) => (typeof x === 'boolean' ? !x : FAIL)) }],
  ['xor', { arity: 2, build: bin((x, y) => (typeof x === 'boolean' && typeof y === 'boolean' ? x !== y : FAIL)) }],
  ['+', { arity: [1, 2], build: plusMinus(1) }],
  ['-', { arity: [1, 2], build: plusMinus(-1) }],
  ['*', { arity: 2, build: bin((x, y) => (isNum(x) && isNum(y) ? num(x * y) : FAIL)) }],
  ['/', { arity: 2, build: bin((x, y) => (isNum(x) && isNum(y) && y !== 0 ? num(x / y) : FAIL)) }],
  ['div', { arity: 2, build: bin((x, y) => (isInt(x) && isInt(y) && y !== 0 ? num(Math.trunc(x / y)) : FAIL)) }],
  ['rem', { arity: 2, build: bin((x, y) => (isInt(x) && isInt(y) && y !== 0 ? num(x % y) : FAIL)) }],
  ['abs', { arity: 1, build: un((x) => (isNum(x) ? num(Math.abs(x)) : FAIL)) }],
  ['min', { arity: 2, build: bin((x, y) => (compareTerms(x, y) <= 0 ? x : y)) }],
  ['max', { arity: 2, build: bin((x, y) => (compareTerms(x, y) >= 0 ? x : y)) }],
  ['is_number', test(isNum)],
  ['is_integer', test(isInt)],
  ['is_float', test((x) => isNum(x) && !Number.isInteger(x))],
  ['is_string', test((x) => typeof x === 'string')],
  ['is_boolean', test((x) => typeof x === 'boolean')],
  ['is_null', test((x) => x === null)],
  ['is_array', test(Array.isArray)],
  ['is_object', test(isObj)],
  ['is_date', test((x) => x instanceof Date)],
  ['is_binary', test(isBinary)],
  ['element', {
    arity: 2,
    build: bin((n, t) => (Array.isArray(t) && isInt(n) && n >= 1 && n <= t.length ? (t[n - 1] as unknown) : FAIL)),
  }],
  ['size', { arity: 1, build: un((x) => (Array.isArray(x) ? x.length : isBinary(x) ? x.byteLength : FAIL)) }],
  ['length', { arity: 1, build: un((x) => (Array.isArray(x) ? x.length : FAIL)) }],
  ['map_get', {
    arity: 2,
    build: bin((k, m) => (typeof k === 'string' && isObj(m) && Object.hasOwn(m, k) ? m[k] : FAIL)),
  }],
  ['is_map_key', { arity: 2, build: bin((k, m) => (typeof k === 'string' && isObj(m) ? Object.hasOwn(m, k) : FAIL)) }],
])

/** Names of every operator (for tests and messages). */
export const OPERATOR_NAMES: readonly string[] = [...OPS.keys()]

/** True when `name` is an operator (an array starting with it is a call). */
export function isOperator(name: unknown): boolean {
  return typeof name === 'string' && OPS.has(name)
}

function arityOk(a: Arity, n: number): boolean {
  return typeof a === 'number' ? n === a : n >= a[0] && n <= a[1]
}

function arityText(a: Arity): string {
  if (typeof a === 'number') return String(a)
  return a[1] === Infinity ? `at least ${String(a[0])}` : `${String(a[0])} to ${String(a[1])}`
}

function konst(v: unknown): CompiledExpr {
  const get = constantGetter(v)
  return { fn: get, konst: { value: get() } }
}

/** Builds a template (array or object) from compiled parts. */
function template(parts: readonly CompiledExpr[], names: readonly string[] | undefined): CompiledExpr {
  if (parts.every((p) => p.konst)) {
    const vals = parts.map((p) => (p.konst as { value: unknown }).value)
    return konst(names ? Object.fromEntries(names.map((k, i) => [k, vals[i]])) : vals)
  }
  const fns = parts.map((p) => p.fn)
  const n = fns.length
  if (names === undefined) {
    return {
      fn: (s) => {
        const out = new Array<unknown>(n)
        for (let i = 0; i < n; i++) {
          const v = (fns[i] as Expr)(s)
          if (v === FAIL) return FAIL
          out[i] = v
        }
        return out
      },
    }
  }
  return {
    fn: (s) => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        const v = (fns[i] as Expr)(s)
        if (v === FAIL) return FAIL
        out[names[i] as string] = v
      }
      return out
    },
  }
}

/**
 * Compiles one guard or body expression. `where` prefixes error messages.
 *
 * @throws BadMatchSpecError for an unbound variable, `'_'`, an unknown guard function, a wrong
 * arity, or a value that is not plain data.
 */
export function compileExpr(e: unknown, ctx: ExprCtx, where: string, exitInPlace = true): CompiledExpr {
  if (typeof e === 'string') {
    if (e === '$_') return { fn: (s) => s.rec }
    if (e === '$$') return { fn: (s) => s.vars.slice() }
    if (e === '_') bad(where, "'_' is not an expression (write ['const', '_'] for the string)")
    const n = varNumber(e)
    if (n === undefined) return konst(e)
    const slot = ctx.slots.get(n)
    if (slot === undefined) bad(where, `variable ${e} is not bound by the head`)
    return { fn: (s) => s.vars[slot] }
  }
  if (Array.isArray(e)) {
    const op: unknown = e[0]
    if (typeof op === 'string' && !isSpecial(op)) {
      const nargs = e.length - 1
      if (op === 'const') {
        if (nargs !== 1) bad(where, `'const' takes 1 argument, got ${String(nargs)}`)
        checkLiteral(e[1], `${where}.const`)
        return konst(e[1])
      }
      const def = OPS.get(op)
      if (def !== undefined) {
        if (!arityOk(def.arity, nargs)) {
          bad(where, `'${op}' takes ${arityText(def.arity)} argument(s), got ${String(nargs)}`)
        }
        const test = def.typeTest
        if (test && !ctx.inGuard) {
          // The argument's own failure is Erlang's atom 'EXIT' (OTP 25: is_binary(size(-1.5)) is
          // false in a body), not the string webnesia returns for it: no type test accepts it.
          const arg = compileExpr(e[1], ctx, `${where}.${op}[1]`, false).fn
          return { fn: (st) => {
            const x = arg(st)
            return x === FAIL ? false : test(x)
          } }
        }
        const args = e.slice(1).map((a, i) => compileExpr(a, ctx, `${where}.${op}[${String(i + 1)}]`).fn)
        const call = def.build(args)
        if (ctx.inGuard || !exitInPlace) return { fn: call }
        // In a body a call that raises is the value 'EXIT' in its own place, and evaluation goes
        // on with it (OTP 25: [['$1', {'+','$2',1}]] gives [1, 'EXIT'] when $2 is a string, and
        // {'==', {'+','$2',1}, 'EXIT'} gives true).
        return {
          fn: (st) => {
            const v = call(st)
            return v === FAIL ? BODY_EXIT : v
          },
        }
      }
      if (ctx.inGuard) {
        bad(where, `unknown guard function ${JSON.stringify(op)} (use ['const', [...]] for a literal array)`)
      }
    }
    for (let i = 0; i < e.length; i++) if (!(i in e)) bad(where, 'hole in an array')
    return template(e.map((x, i) => compileExpr(x, ctx, `${where}[${String(i)}]`)), undefined)
  }
  if (isPlainObject(e)) {
    const names = Object.keys(e)
      .filter((k) => e[k] !== undefined)
      .sort()
    return template(names.map((k) => compileExpr(e[k], ctx, `${where}.${k}`)), names)
  }
  checkLiteral(e, where) // throws for undefined, functions, class instances, …
  return konst(e)
}
