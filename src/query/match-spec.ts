/**
 * Match specifications (select), compiled once to closures.
 *
 *     spec   := [clause, ...]                 [] matches nothing
 *     clause := [head, guards, body]          exactly three elements
 *     head   := pattern | '_' | '$N'          '_': any record; '$N': binds the whole record
 *     guards := [expr, ...]                   every one must evaluate to exactly `true`
 *     body   := [expr, ...]                   non-empty; the clause returns the last value
 *
 * Patterns are described in `pattern.ts`, expressions in `expr.ts`. Clauses are tried in order;
 * the first whose head matches and whose guards all hold gives the result. A guard that fails
 * (raises) fails its clause and the next clause is tried; in a body, a call that raises is the
 * value `'EXIT'` (`BODY_EXIT`) in its own place (`expr.ts`), both as in Erlang match
 * specifications. Only the last body expression gives the result: the others have no side
 * effects and a failure among them is ignored (OTP 25: `[{'+','$2',1}, '$1']` gives `$1`), so
 * they are not evaluated at all.
 *
 * The empty specification `[]` matches nothing (`mnesia:select(Tab, [])` is `[]` in OTP 25).
 *
 * `'$$'` is the array of the head's variables in increasing variable number, gaps left out:
 * head `{ a: '$3', b: '$1' }` gives `[v1, v3]`.
 *
 * Validation is complete before anything runs: a malformed spec throws `BadMatchSpecError` from
 * {@link compileMatchSpec} and the executor never sees a half-compiled spec.
 *
 * Planning hints: besides what the head binds to literals, a top-level guard (or an operand of
 * a top-level `andalso`/`and`) `['==', '$N', literal]` / `['=:=', …]` (either side) where `'$N'`
 * is a whole attribute in the head (`{ empNo: '$1' }`) binds that attribute, so
 * `[[{ empNo: '$1' }, [['==', '$1', 7]], ['$_']]]` plans as a key lookup.
 *
 * @module
 */
import { BadMatchSpecError } from '../errors.js'
import type { TableDef } from '../schema/table-def.js'
import type { Rec } from '../storage/record.js'
import { BODY_EXIT, NO_MATCH, type ClauseBinding, type Matcher } from './matcher.js'
import { bad, freezeLiteral, isBinary, isSpecial, varNumber } from './literal.js'
import { compileExpr, FAIL, type Expr, type ExprState } from './expr.js'
import { compileHead, type CompiledHead } from './pattern.js'
import { cachedCompile } from './spec-cache.js'

interface CompiledClause {
  readonly run: (rec: Rec) => unknown
  readonly binding: ClauseBinding
}

const NOT_CONST = Symbol('notConst')

/** The empty specification: no clause, nothing matches (the planner reads no record for it). */
const EMPTY: Matcher = Object.freeze({ run: () => NO_MATCH, clauses: Object.freeze([]) })

/** The value of a constant guard operand (literal or `['const', X]`), or NOT_CONST. */
function constOperand(e: unknown): unknown {
  if (e === null || typeof e === 'number' || typeof e === 'boolean') return e
  if (typeof e === 'string') return isSpecial(e) ? NOT_CONST : e
  if (e instanceof Date || isBinary(e)) return e
  if (Array.isArray(e) && e.length === 2 && e[0] === 'const') return e[1]
  return NOT_CONST
}

/** Adds the `'$N' == literal` bindings of one guard (see the module notes). */
function deriveBindings(g: unknown, head: CompiledHead, keyAttr: string): void {
  if (!Array.isArray(g)) return
  const op: unknown = g[0]
  if (op === 'andalso' || op === 'and') {
    for (const a of g.slice(1)) deriveBindings(a, head, keyAttr)
    return
  }
  if ((op !== '==' && op !== '=:=') || g.length !== 3) return
  for (const [v, other] of [[g[1], g[2]], [g[2], g[1]]] as const) {
    const n = varNumber(v)
    const attrs = n === undefined ? undefined : head.attrVars.get(n)
    const value = constOperand(other)
    if (attrs === undefined || value === NOT_CONST) continue
    const b = head.binding
    for (const a of attrs) {
      if (a === keyAttr) {
        if (b.key === undefined) b.key = { value: freezeLiteral(value) }
        delete b.keyPrefix
      } else if (!b.attrs.has(a)) {
        b.attrs.set(a, freezeLiteral(value))
      }
    }
    return
  }
}

function compileClause(def: Pick<TableDef, 'attributes'>, clause: unknown, where: string): CompiledClause {
  if (!Array.isArray(clause) || clause.length !== 3) {
    bad(where, 'a clause must be an array [head, guards, body]')
  }
  const [h, g, b] = clause as [unknown, unknown, unknown]
  const head = compileHead(def, h, `${where} head`, true)
  if (!Array.isArray(g)) bad(`${where} guards`, 'must be an array of guard expressions')
  if (!Array.isArray(b) || b.length === 0) bad(`${where} body`, 'must be a non-empty array of expressions')
  const gctx = { slots: head.slots, inGuard: true }
  const bctx = { slots: head.slots, inGuard: false }
  const guards: Expr[] = []
  let never = false
  for (let i = 0; i < g.length; i++) {
    const c = compileExpr(g[i], gctx, `${where} guard ${String(i + 1)}`)
    if (c.konst === undefined) guards.push(c.fn)
    else if (c.konst.value !== true) never = true
  }
  // Every body expression is compiled (a malformed one is an error), only the last one runs.
  const body = Array.from(b, (x, i) => compileExpr(x, bctx, `${where} body ${String(i + 1)}`).fn)
  for (const x of g) deriveBindings(x, head, def.attributes[0] as string)

  const match = head.match
  const st: ExprState = { rec: Object.freeze({}), vars: new Array<unknown>(head.slots.size) }
  const vars = st.vars
  const ng = guards.length
  const last = body[body.length - 1] as Expr
  const run = never
    ? () => NO_MATCH
    : (rec: Rec): unknown => {
        if (!match(rec, vars)) return NO_MATCH
        st.rec = rec
        for (let i = 0; i < ng; i++) if ((guards[i] as Expr)(st) !== true) return NO_MATCH
        const v = last(st)
        return v === FAIL ? BODY_EXIT : v
      }
  const bind = head.binding
  const binding: ClauseBinding = Object.freeze({
    ...(bind.key !== undefined ? { key: bind.key } : {}),
    ...(bind.keyPrefix !== undefined ? { keyPrefix: bind.keyPrefix } : {}),
    attrs: bind.attrs,
  })
  return { run, binding }
}

/**
 * Compiles a match specification for `select`. Cached (see `spec-cache.ts`): compiling the same
 * (deep-equal) spec for a table with the same attributes returns the same matcher.
 *
 * @throws BadMatchSpecError when the spec is not a non-empty array of `[head, guards, body]`, a
 * head is malformed or names an unknown attribute, a guard or body uses an unknown operator, a
 * wrong arity or a variable the head does not bind.
 * @example
 * const m = compileMatchSpec(employeeDef, [[
 *   { name: '$1', sex: 'male', roomNo: ['$2', '_'] },
 *   [['>=', '$2', 220], ['<', '$2', 230]],
 *   ['$1'],
 * ]])
 * m.run(rec) // the name, or NO_MATCH
 */
export function compileMatchSpec(def: Pick<TableDef, 'attributes'>, spec: unknown): Matcher {
  return cachedCompile('s', def, spec, () => {
    if (!Array.isArray(spec)) {
      throw new BadMatchSpecError('a match specification must be an array of [head, guards, body] clauses')
    }
    if (spec.length === 0) return EMPTY
    const compiled = Array.from(spec, (c, i) => compileClause(def, c, `clause ${String(i + 1)}`))
    const runs = compiled.map((c) => c.run)
    const clauses = Object.freeze(compiled.map((c) => c.binding))
    const n = runs.length
    const run =
      n === 1
        ? (runs[0] as (rec: Rec) => unknown)
        : (rec: Rec): unknown => {
            for (let i = 0; i < n; i++) {
              const v = (runs[i] as (rec: Rec) => unknown)(rec)
              if (v !== NO_MATCH) return v
            }
            return NO_MATCH
          }
    return Object.freeze({ run, clauses })
  })
}
