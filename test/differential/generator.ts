/**
 * The seeded generator of operation sequences (see `ops.ts` for the shared subset and why it is
 * restricted as it is). `generate(seed, n)` is a pure function of its arguments.
 *
 * Pools are small on purpose (a handful of keys and values) so that writes collide, deletes hit,
 * bags gather several records per key and guards split the records.
 *
 * @module
 */
import { exprGen, type Rand, type VarInfo } from './expr-gen.js'
import { KNOWN_DIFFERENCES, type BasicOp, type Clause, type Dom, type Op, type PVal, type Sequence, type TableSpec, type Val } from './ops.js'

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): Rand {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1))
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T,
    chance: (p: number): boolean => next() < p,
  }
}

const STRINGS = ['a', 'b', 'ab', 'ba', 'c', 'abc', 'd', 'dd']
const INTS = [-2, 0, 1, 2, 3, 5, 7, 10]
const FLOATS = [-1.5, 0.5, 1.5, 2.25, 3.5]

/** A value of a domain. */
export function genVal(r: Rand, d: Dom): Val {
  switch (d) {
    case 'int':
      return r.pick(INTS)
    case 'num':
      return r.chance(0.7) ? r.pick(INTS) : r.pick(FLOATS)
    case 'intstr':
      return r.chance(0.6) ? r.pick(INTS.slice(1, 6)) : r.pick(STRINGS.slice(0, 4))
    case 'scalar': {
      const x = r.next()
      return x < 0.5 ? r.pick(INTS) : x < 0.65 ? r.pick(FLOATS) : r.pick(STRINGS)
    }
    case 'pair':
      return [genVal(r, 'intstr'), genVal(r, 'intstr')]
  }
}

function genTable(r: Rand, i: number): TableSpec {
  const type = r.pick(['set', 'ordered_set', 'bag'] as const)
  const storage = r.pick(['ram_copies', 'ram_copies', 'disc_copies', 'disc_only_copies'] as const)
  const name = `t${String(i)}`
  const keyDom: Dom = r.chance(0.75) ? r.pick(['int', 'num', 'scalar'] as const) : 'pair'
  const doms: Dom[] = [keyDom, r.pick(['int', 'num', 'scalar', 'scalar'] as const), r.pick(['pair', 'scalar', 'int'] as const)]
  const attributes = ['k', 'v', 'w']
  const index = r.chance(0.6) ? [r.pick(['v', 'w'])] : []
  return { name, type, storage, attributes, doms, index, counter: false }
}

function genCounterTable(r: Rand, i: number): TableSpec {
  const type = r.pick(['set', 'ordered_set'] as const)
  const storage = r.pick(['ram_copies', 'disc_copies', 'disc_only_copies'] as const)
  // The stored counts include non-integers and a string (genRec): guards and patterns see n as a
  // scalar, under the restrictions of the README (no string compared with an array, no size of one).
  const n: Dom = KNOWN_DIFFERENCES.has('counter-on-stored-non-integer') ? 'int' : 'scalar'
  return { name: `c${String(i)}`, type, storage, attributes: ['k', 'n'], doms: ['int', n], index: [], counter: true }
}

function genRec(r: Rand, t: TableSpec): Val[] {
  if (t.counter) {
    const n = KNOWN_DIFFERENCES.has('counter-on-stored-non-integer') ? r.int(0, 9) : r.pick([0, 3, -2, 1.5, 'ba'])
    return [genVal(r, 'int'), n]
  }
  return t.doms.map((d) => genVal(r, d))
}

/** A pattern value for an attribute of domain `d`: literal, '_', a variable, or a nested pair. */
function genPVal(r: Rand, d: Dom, vars: string[]): PVal {
  const x = r.next()
  if (x < 0.35) return '_'
  if (x < 0.75) {
    const v = r.chance(0.25) && vars.length > 0 ? r.pick(vars) : `$${String(vars.length + 1)}`
    if (!vars.includes(v)) vars.push(v)
    return v
  }
  if (d === 'pair' && x < 0.88) return [genPVal(r, 'intstr', vars), genPVal(r, 'intstr', vars)]
  return genVal(r, d)
}

/** A pattern object and what its variables are bound to. */
export function genPattern(r: Rand, t: TableSpec): { pattern: Record<string, PVal>; vars: VarInfo[] } {
  const names: string[] = []
  const pattern: Record<string, PVal> = {}
  t.attributes.forEach((a, i) => {
    if (r.chance(0.2)) return // absent: '_'
    pattern[a] = genPVal(r, t.doms[i] as Dom, names)
  })
  return { pattern, vars: varsOf(t, pattern) }
}

/** Each variable of a pattern with the domain of the place it binds (first occurrence). */
function varsOf(t: TableSpec, pattern: Record<string, PVal>): VarInfo[] {
  const out = new Map<string, Dom>()
  const walk = (p: PVal, d: Dom): void => {
    if (typeof p === 'string' && /^\$\d+$/.test(p)) {
      if (!out.has(p)) out.set(p, d)
    } else if (Array.isArray(p)) {
      walk(p[0] as PVal, 'intstr')
      walk(p[1] as PVal, 'intstr')
    }
  }
  t.attributes.forEach((a, i) => {
    const p = pattern[a]
    if (p !== undefined) walk(p, t.doms[i] as Dom)
  })
  return [...out].map(([name, dom]) => ({ name, dom }))
}

function genClause(r: Rand, t: TableSpec): Clause {
  const safeBody = KNOWN_DIFFERENCES.has('body-exit-in-place')
  if (r.chance(0.08)) {
    const whole = r.chance(0.5) ? '$1' : '_'
    const vars: VarInfo[] = whole === '$1' ? [{ name: '$1', dom: 'record' }] : []
    return [whole, [], [exprGen(r, vars, { safe: safeBody }).body()]]
  }
  const { pattern, vars } = genPattern(r, t)
  const g = exprGen(r, vars, { safe: false })
  const guards = Array.from({ length: r.pick([0, 0, 1, 1, 2]) }, () => g.guard())
  const b = exprGen(r, vars, { safe: safeBody })
  const body = Array.from({ length: r.chance(0.2) ? 2 : 1 }, () => b.body())
  return [pattern, guards, body]
}

function genSpec(r: Rand, t: TableSpec, inTxn: boolean): Clause[] {
  // Empty specifications outside transactions only (ops.ts, MNESIA_INCONSISTENT).
  if (!KNOWN_DIFFERENCES.has('empty-match-spec') && r.chance(0.03) && !inTxn) return []
  return Array.from({ length: r.chance(0.25) ? 2 : 1 }, () => genClause(r, t))
}

function keyOf(r: Rand, t: TableSpec): Val {
  return genVal(r, t.doms[0] as Dom)
}

/** An operation valid inside and outside a transaction. */
function genBasic(r: Rand, tables: readonly TableSpec[], inTxn: boolean): BasicOp {
  const t = r.pick(tables)
  const tab = t.name
  const x = r.next()
  if (x < 0.34) return { op: 'write', tab, rec: genRec(r, t) }
  if (x < 0.42) return { op: 'read', tab, key: keyOf(r, t) }
  if (x < 0.48) return { op: 'delete', tab, key: keyOf(r, t) }
  if (x < 0.52) return { op: 'delete_object', tab, rec: genRec(r, t) }
  if (x < 0.58) {
    const { pattern } = genPattern(r, t)
    // Through an index on an ordered_set, Mnesia's match in a transaction keeps records the
    // transaction overwrote (ops.ts, MNESIA_INCONSISTENT): no indexed attribute bound there.
    const viaIndex = inTxn && t.type === 'ordered_set' && t.index.length > 0
    return { op: 'match_object', tab, pattern: viaIndex ? Object.fromEntries(Object.entries(pattern).filter(([a]) => !t.index.includes(a))) : pattern }
  }
  if (x < 0.72) return { op: 'select', tab, spec: genSpec(r, t, inTxn) }
  if (x < 0.8) {
    if (t.type !== 'ordered_set') {
      // Mnesia's first/next inside a transaction miss keys the transaction wrote (ops.ts,
      // MNESIA_INCONSISTENT): walks of sets and bags only outside transactions.
      if (inTxn) return { op: 'all_keys', tab }
      return { op: r.chance(0.5) ? 'walk_fwd' : 'walk_bwd', tab }
    }
    const k = r.next()
    if (k < 0.25) return { op: r.chance(0.5) ? 'first' : 'last', tab }
    return { op: r.chance(0.5) ? 'next' : 'prev', tab, key: keyOf(r, t) }
  }
  if (x < 0.84) return { op: 'all_keys', tab }
  const indexed = tables.filter((u) => u.index.length > 0)
  if (indexed.length > 0) {
    const u = r.pick(indexed)
    const attr = r.pick(u.index)
    const dom = u.doms[u.attributes.indexOf(attr)] as Dom
    // index_match_object on an ordered_set: outside transactions only (MNESIA_INCONSISTENT).
    if (r.chance(0.7) || (inTxn && u.type === 'ordered_set')) return { op: 'index_read', tab: u.name, value: genVal(r, dom), attr }
    const { pattern } = genPattern(r, u)
    return { op: 'index_match_object', tab: u.name, pattern: { ...pattern, [attr]: genVal(r, dom) }, attr }
  }
  return inTxn ? { op: 'read', tab, key: keyOf(r, t) } : { op: 'write', tab, rec: genRec(r, t) }
}

function genOp(r: Rand, tables: readonly TableSpec[]): Op {
  const x = r.next()
  const counters = tables.filter((t) => t.counter)
  if (x < 0.07 && counters.length > 0) {
    const t = r.pick(counters)
    const incr = KNOWN_DIFFERENCES.has('counter-non-integer-increment') ? r.int(-4, 6) : r.pick([-4, -1, 0, 1, 2, 6, 1.5])
    return { op: 'update_counter', tab: t.name, key: keyOf(r, t), incr }
  }
  if (x < 0.16) {
    const ops = Array.from({ length: r.int(1, 5) }, () => genBasic(r, tables, true))
    return r.chance(0.3) ? { op: 'txn', ops, abort: r.pick(['r1', 'r2']) } : { op: 'txn', ops }
  }
  if (x < 0.17) return { op: 'clear', tab: r.pick(tables).name }
  if (x < 0.19) return { op: 'fold', tab: r.pick(tables).name }
  if (x < 0.22) {
    const t = r.pick(tables)
    return { op: 'select_chunked', tab: t.name, spec: genSpec(r, t, false), n: r.int(1, 4) }
  }
  return genBasic(r, tables, false)
}

/**
 * The sequence of `n` operations for `seed`: two or three tables (one of them a counter table
 * half the time), then the operations.
 */
export function generate(seed: number, n: number): Sequence {
  const r = prng(seed)
  const tables: TableSpec[] = Array.from({ length: r.int(1, 2) }, (_, i) => genTable(r, i + 1))
  if (r.chance(0.5)) tables.push(genCounterTable(r, 1))
  const ops = Array.from({ length: n }, () => genOp(r, tables))
  return { seed, tables, ops }
}
