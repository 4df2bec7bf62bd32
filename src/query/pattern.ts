/**
 * Patterns (match_object) and match-spec heads, compiled to closures.
 *
 * A pattern is a plain object with some of the table's attributes. Each value is
 *   - `'_'`: anything (an absent attribute, or one holding `undefined`, is `'_'` too);
 *   - a variable `'$N'`: anything, but every occurrence must be deep-equal (see `termEquals`);
 *   - an array: matches an array of the same length whose elements match element-wise
 *     (arrays stand for Erlang tuples, which match exactly);
 *   - a plain object: matches a plain object with EXACTLY the same set of property names whose
 *     values match. Chosen so that a pattern without `'_'` and variables matches precisely the
 *     values deep-equal to it, as a literal would (a partial, map-like match would break that).
 *     Write `{ city: '_' , zip: '_' }` to accept any value of known properties;
 *   - any other value (null, boolean, number, string, Date, binary): a literal, matched by
 *     deep equality (Dates by time, binary by bytes).
 * An attribute absent from the RECORD matches only `'_'`: a variable or literal needs a value.
 * A string equal to `'_'` or `'$N'` cannot be matched literally (as in Erlang); `'$_'` and `'$$'`
 * are rejected in heads.
 *
 * Compilation walks the head once, in the table's attribute order (and sorted property order in
 * nested objects), so the compiled code never depends on property order - it is cached under the
 * spec's canonical form. A variable's first occurrence in that order binds it (writes its slot),
 * later ones compare. Slots are numbered by increasing variable number, so `'$$'` is the slot
 * array as it is.
 *
 * @module
 */
import type { TableDef } from '../schema/table-def.js'
import type { Rec } from '../storage/record.js'
import { isPlainObject } from '../storage/record.js'
import { NO_MATCH, type ClauseBinding, type Matcher } from './matcher.js'
import { bad, checkLiteral, freezeLiteral, isBinary, varNumber } from './literal.js'
import { cachedCompile } from './spec-cache.js'
import { termEquals } from './term-order.js'

/** Matches one value; binds variables into `vars`. */
type NodeMatch = (x: unknown, vars: unknown[]) => boolean

/** A compiled head: what `match-spec.ts` builds clauses from. */
export interface CompiledHead {
  /** Tests a record, filling `vars` (indexed by slot). */
  readonly match: (rec: Rec, vars: unknown[]) => boolean
  /** Variable number → slot; slots are 0.. in increasing variable number. */
  readonly slots: ReadonlyMap<number, number>
  /** Variables standing for a whole attribute (`{ salary: '$1' }`): variable → attribute names. */
  readonly attrVars: ReadonlyMap<number, readonly string[]>
  /** The head's ground bindings (attrs is fresh and may be extended by the caller). */
  readonly binding: { key?: { value: unknown }; keyPrefix?: readonly unknown[]; attrs: Map<string, unknown> }
}

interface Ctx {
  readonly slots: ReadonlyMap<number, number>
  readonly bound: Set<number>
}

/** True when a (checked) pattern value holds no `'_'` and no variable. */
export function isGround(v: unknown): boolean {
  if (typeof v === 'string') return v !== '_' && varNumber(v) === undefined
  if (Array.isArray(v)) return v.every(isGround)
  if (isPlainObject(v)) return Object.values(v).every((x) => x === undefined || isGround(x))
  return true
}

/** Validates a pattern value and collects its variable numbers. */
function scan(v: unknown, where: string, out: Set<number>): void {
  if (typeof v === 'string') {
    if (v === '$_' || v === '$$') bad(where, `${v} is only allowed in guards and bodies`)
    const n = varNumber(v)
    if (n !== undefined) out.add(n)
    return
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || v[i] === undefined) bad(where, 'undefined or hole in an array')
      scan(v[i], `${where}[${String(i)}]`, out)
    }
    return
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) if (v[k] !== undefined) scan(v[k], `${where}.${k}`, out)
    return
  }
  checkLiteral(v, where)
}

function isObjectValue(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date) && !isBinary(x)
}

function literalMatch(lit: unknown): NodeMatch {
  switch (typeof lit) {
    case 'number':
      return Number.isNaN(lit) ? (x) => typeof x === 'number' && Number.isNaN(x) : (x) => x === lit
    case 'string':
    case 'boolean':
      return (x) => x === lit
    default: {
      if (lit === null) return (x) => x === null
      const c = freezeLiteral(lit) // Date or binary: a private copy
      return c instanceof Date ? (x) => x instanceof Date && termEquals(x, c) : (x) => isBinary(x) && termEquals(x, c)
    }
  }
}

/** Compiles one (scanned) pattern value; `undefined` for a wildcard. */
function compileNode(v: unknown, ctx: Ctx): NodeMatch | undefined {
  if (v === '_') return undefined
  const n = varNumber(v)
  if (n !== undefined) {
    const slot = ctx.slots.get(n) as number
    if (ctx.bound.has(n)) return (x, vars) => termEquals(vars[slot], x)
    ctx.bound.add(n)
    return (x, vars) => {
      if (x === undefined) return false
      vars[slot] = x
      return true
    }
  }
  if (Array.isArray(v)) {
    const len = v.length
    const idx: number[] = []
    const ms: NodeMatch[] = []
    v.forEach((e, i) => {
      const m = compileNode(e, ctx)
      if (m) {
        idx.push(i)
        ms.push(m)
      }
    })
    const k = ms.length
    return (x, vars) => {
      if (!Array.isArray(x) || x.length !== len) return false
      for (let i = 0; i < k; i++) if (!(ms[i] as NodeMatch)(x[idx[i] as number], vars)) return false
      return true
    }
  }
  if (isPlainObject(v)) {
    const names = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
    const count = names.length
    const ms = names.map((k) => compileNode(v[k], ctx))
    return (x, vars) => {
      if (!isObjectValue(x) || Object.keys(x).length !== count) return false
      for (let i = 0; i < count; i++) {
        const name = names[i] as string
        if (!Object.hasOwn(x, name)) return false
        const val = x[name]
        if (val === undefined) return false
        const m = ms[i]
        if (m && !m(val, vars)) return false
      }
      return true
    }
  }
  return literalMatch(v)
}

function groundPrefix(v: readonly unknown[]): unknown[] {
  const out: unknown[] = []
  for (const e of v) {
    if (!isGround(e)) break
    out.push(freezeLiteral(e))
  }
  return out
}

/**
 * Compiles a head: a pattern object, or (when `allowWhole`) `'_'` or `'$N'` standing for the whole
 * record. `where` prefixes error messages.
 *
 * @throws BadMatchSpecError for a non-object head, an unknown attribute, `'$_'`/`'$$'` in the head,
 * or a value that is not plain data.
 */
export function compileHead(
  def: Pick<TableDef, 'attributes'>,
  head: unknown,
  where: string,
  allowWhole: boolean,
): CompiledHead {
  const attrs = new Map<string, unknown>()
  if (allowWhole && (head === '_' || varNumber(head) !== undefined)) {
    const n = varNumber(head)
    const slots = new Map<number, number>(n === undefined ? [] : [[n, 0]])
    const match = n === undefined ? () => true : (rec: Rec, vars: unknown[]) => ((vars[0] = rec), true)
    return { match, slots, attrVars: new Map(), binding: { attrs } }
  }
  if (!isPlainObject(head)) {
    bad(where, `a pattern must be a plain object with the table's attributes${allowWhole ? ", '_' or '$N'" : ''}`)
  }
  const keyAttr = def.attributes[0] as string
  const varSet = new Set<number>()
  for (const a of Object.keys(head)) {
    if (!def.attributes.includes(a)) {
      bad(where, `unknown attribute ${JSON.stringify(a)} (attributes: ${def.attributes.join(', ')})`)
    }
    if (head[a] !== undefined) scan(head[a], `${where}.${a}`, varSet)
  }
  const slots = new Map<number, number>([...varSet].sort((x, y) => x - y).map((n, i) => [n, i]))
  const ctx: Ctx = { slots, bound: new Set() }
  const names: string[] = []
  const ms: NodeMatch[] = []
  const attrVars = new Map<number, string[]>()
  const binding: CompiledHead['binding'] = { attrs }
  for (const a of def.attributes) {
    const pv = head[a]
    if (pv === undefined || pv === '_') continue
    const vn = varNumber(pv)
    if (vn !== undefined) attrVars.set(vn, [...(attrVars.get(vn) ?? []), a])
    if (isGround(pv)) {
      if (a === keyAttr) binding.key = { value: freezeLiteral(pv) }
      else attrs.set(a, freezeLiteral(pv))
    } else if (a === keyAttr && Array.isArray(pv)) {
      const prefix = groundPrefix(pv)
      if (prefix.length > 0) binding.keyPrefix = prefix
    }
    const m = compileNode(pv, ctx)
    if (m) {
      names.push(a)
      ms.push(m)
    }
  }
  const k = ms.length
  const match = (rec: Rec, vars: unknown[]): boolean => {
    for (let i = 0; i < k; i++) if (!(ms[i] as NodeMatch)(rec[names[i] as string], vars)) return false
    return true
  }
  return { match, slots, attrVars, binding }
}

/**
 * Compiles a pattern for `matchObject`: the matcher returns the record itself when it matches.
 * Cached (see `spec-cache.ts`).
 *
 * @throws BadMatchSpecError when the pattern is not a plain object, names an unknown attribute,
 * uses `'$_'`/`'$$'`, or holds a value that is not plain data.
 * @example
 * const m = compilePattern(employeeDef, { empNo: '$1', roomNo: '$1' })
 * m.run(rec) === rec // when rec.empNo deep-equals rec.roomNo
 */
export function compilePattern(def: Pick<TableDef, 'attributes'>, pattern: unknown): Matcher {
  return cachedCompile('p', def, pattern, () => {
    const head = compileHead(def, pattern, 'pattern', false)
    const vars = new Array<unknown>(head.slots.size)
    const match = head.match
    const clauses: readonly ClauseBinding[] = Object.freeze([Object.freeze({ ...head.binding })])
    return Object.freeze({
      run: (rec: Rec): unknown => (match(rec, vars) ? rec : NO_MATCH),
      clauses,
    })
  })
}
