/**
 * Writes sequences as Erlang terms for `mnesia-runner.escript` (read there with file:consult),
 * mapping values as `ops.ts` describes: strings → binaries, 2-arrays → tuples, records → record
 * tuples, match-spec templates → `{{...}}` tuple constructors, `is_string` → `is_binary`,
 * `is_array` → `is_tuple`.
 *
 * @module
 */
import { isOperator } from '../../src/query/expr.js'
import type { BasicOp, Clause, Op, PVal, Sequence, TableSpec, Val } from './ops.js'

const VAR = /^\$\d+$/

/** Erlang names of webnesia's match-spec functions, where they differ. */
const ERL_FUNCTION: Readonly<Record<string, string>> = { is_string: 'is_binary', is_array: 'is_tuple' }

/** An atom, quoted. */
export function atom(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

function num(n: number): string {
  if (Number.isInteger(n)) return String(n)
  const s = String(n)
  if (!/^-?\d+\.\d+$/.test(s)) throw new Error(`float ${s} has no plain Erlang spelling; keep generated floats simple`)
  return s
}

function bin(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`string ${JSON.stringify(s)} is not printable ASCII`)
  return `<<"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}">>`
}

/** A value of the shared subset. */
export function val(v: Val): string {
  if (typeof v === 'number') return num(v)
  if (typeof v === 'string') return bin(v)
  return `{${val(v[0])},${val(v[1])}}`
}

function pval(p: PVal): string {
  if (typeof p === 'string' && (p === '_' || VAR.test(p))) return atom(p)
  if (Array.isArray(p)) return `{${pval(p[0] as PVal)},${pval(p[1] as PVal)}}`
  return val(p)
}

function record(t: TableSpec, rec: readonly Val[]): string {
  return `{${[atom(t.name), ...rec.map(val)].join(',')}}`
}

function pattern(t: TableSpec, p: Readonly<Record<string, PVal>>): string {
  return `{${[atom(t.name), ...t.attributes.map((a) => (p[a] === undefined ? "'_'" : pval(p[a])))].join(',')}}`
}

function literal(x: unknown): string {
  if (Array.isArray(x)) return `{${x.map(literal).join(',')}}`
  return val(x as Val)
}

/** A match-spec expression (guard or body). */
export function expr(e: unknown): string {
  if (typeof e === 'boolean') return String(e)
  if (typeof e === 'number') return num(e)
  if (typeof e === 'string') return e === '$_' || e === '$$' || VAR.test(e) ? atom(e) : bin(e)
  if (Array.isArray(e)) {
    const head: unknown = e[0]
    if (head === 'const') return `{const,${literal(e[1])}}`
    if (typeof head === 'string' && isOperator(head)) {
      return `{${[atom(ERL_FUNCTION[head] ?? head), ...e.slice(1).map(expr)].join(',')}}`
    }
    return `{{${e.map(expr).join(',')}}}`
  }
  throw new Error(`no Erlang spelling for expression ${JSON.stringify(e)}`)
}

function clause(t: TableSpec, c: Clause): string {
  const [h, guards, body] = c
  const head = typeof h === 'string' ? atom(h) : pattern(t, h)
  return `{${head},[${guards.map(expr).join(',')}],[${body.map(expr).join(',')}]}`
}

function spec(t: TableSpec, s: readonly Clause[]): string {
  return `[${s.map((c) => clause(t, c)).join(',')}]`
}

function basic(seq: Sequence, o: BasicOp): string {
  const t = seq.tables.find((x) => x.name === o.tab) as TableSpec
  const tab = atom(o.tab)
  switch (o.op) {
    case 'write':
    case 'delete_object':
      return `{${o.op},${tab},${record(t, o.rec)}}`
    case 'read':
    case 'delete':
    case 'next':
    case 'prev':
      return `{${o.op},${tab},${val(o.key)}}`
    case 'match_object':
      return `{match_object,${tab},${pattern(t, o.pattern)}}`
    case 'select':
      return `{select,${tab},${spec(t, o.spec)}}`
    case 'first':
    case 'last':
    case 'all_keys':
    case 'walk_fwd':
    case 'walk_bwd':
      return `{${o.op},${tab}}`
    case 'index_read':
      return `{index_read,${tab},${val(o.value)},${atom(o.attr)}}`
    case 'index_match_object':
      return `{index_match_object,${tab},${pattern(t, o.pattern)},${atom(o.attr)}}`
  }
}

function op(seq: Sequence, o: Op): string {
  switch (o.op) {
    case 'select_chunked': {
      const t = seq.tables.find((x) => x.name === o.tab) as TableSpec
      return `{select_chunked,${atom(o.tab)},${spec(t, o.spec)},${String(o.n)}}`
    }
    case 'update_counter':
      return `{update_counter,${atom(o.tab)},${val(o.key)},${num(o.incr)}}`
    case 'clear':
    case 'fold':
      return `{${o.op},${atom(o.tab)}}`
    case 'txn':
      return `{txn,[${o.ops.map((x) => basic(seq, x)).join(',')}],${o.abort === undefined ? 'commit' : `{abort,${bin(o.abort)}}`}}`
    default:
      return basic(seq, o)
  }
}

/** One sequence as a `{seq, Id, Tables, Ops}.` term; `id` tells its results apart. */
export function sequenceTerm(seq: Sequence, id: number): string {
  const tables = seq.tables.map(
    (t) => `{${atom(t.name)},${t.type},[${t.attributes.map(atom).join(',')}],[${t.index.map(atom).join(',')}]}`,
  )
  return `{seq,${String(id)},[${tables.join(',')}],[\n  ${seq.ops.map((o) => op(seq, o)).join(',\n  ')}]}.\n`
}
