/**
 * An Elle-style checker for list-append histories (Kingsbury & Alvaro, "Elle: Inferring Isolation
 * Anomalies from Experimental Observations", VLDB 2020), small enough to read in one sitting.
 *
 * A history is a set of transactions, each `ok` (committed), `fail` (aborted) or `info` (outcome
 * unknown), made of micro-ops: `['append', key, value]` (values unique per key) and
 * `['r', key, list]` (the list the transaction saw). Because appends build lists, a read reveals
 * the whole order of the appends before it: the longest committed read of a key gives the key's
 * version order, every other read must be a prefix of it, and the dependency graph follows:
 *
 *   ww  writer of element i               → writer of element i + 1
 *   wr  writer of the last element a read saw → the reader
 *   rw  a reader                          → writer of the first element it did not see (anti-dependency)
 *
 * Anomalies:
 * - `G0`: a cycle of ww edges (write cycle).
 * - `G1a`: a committed read saw an element appended by an aborted transaction.
 * - `G1b`: a committed read ended at an intermediate append (its writer appended again to that key).
 * - `G1c`: a cycle of ww and wr edges (circular information flow).
 * - `G2-item`: a cycle that needs at least one rw edge (anti-dependency cycle, e.g. write skew).
 * - `lost-update`: two committed transactions read the same version of a key and both appended to it;
 *   or, given `finalTxn`, a committed append missing from the final read of its key.
 * - `incompatible-order`: two reads of one key of which neither is a prefix of the other.
 * - `duplicate`: a read listing a value twice. `garbage`: a read listing a value nobody appended.
 * - `internal`: a read after the transaction's own appends that does not end with them.
 *
 * Cycles are found as strongly connected components (Tarjan); each is reported once, under the
 * weakest graph it appears in (G0 ⊂ G1c ⊂ G2-item), with one concrete cycle as its explanation,
 * e.g. `T1 -rw(x)-> T2 -rw(y)-> T1`.
 *
 * @module
 */

export type Key = string | number
export type MicroOp = readonly ['append', Key, number] | readonly ['r', Key, readonly number[] | null]
export interface Txn {
  readonly id: number
  readonly status: 'ok' | 'fail' | 'info'
  readonly ops: readonly MicroOp[]
}
export type AnomalyKind =
  | 'G0'
  | 'G1a'
  | 'G1b'
  | 'G1c'
  | 'G2-item'
  | 'lost-update'
  | 'incompatible-order'
  | 'duplicate'
  | 'garbage'
  | 'internal'
export interface Anomaly {
  readonly kind: AnomalyKind
  /** The transactions involved (for a cycle: its whole strongly connected component, ascending). */
  readonly txns: readonly number[]
  readonly detail: string
}
export interface CheckOptions {
  /**
   * Id of a committed transaction that read keys after every other transaction had ended: every
   * committed append to a key it read must be in that read (else `lost-update`).
   */
  readonly finalTxn?: number
}

type EdgeKind = 'ww' | 'wr' | 'rw'
/** from → to → labels such as `ww(x)`. */
type Graph = Map<number, Map<number, string[]>>

const str = (v: unknown): string => String(v)
const push = <K, V>(m: Map<K, V[]>, k: K, v: V): void => {
  const l = m.get(k)
  if (l) l.push(v)
  else m.set(k, [v])
}
/** A list, its long middle elided: `[1,2,…(40 more),43,44]`. */
const show = (l: readonly number[]): string =>
  l.length <= 8 ? `[${l.join(',')}]` : `[${l.slice(0, 2).join(',')},…(${str(l.length - 6)} more),${l.slice(-4).join(',')}]`
/** Where `a` departs from `b`: `at 3: 200 vs 3000180`. */
const divergence = (a: readonly number[], b: readonly number[]): string => {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return `at index ${str(i)}: ${str(a[i])} vs ${str(b[i])}`
}

/** Reads a transaction made of a key before appending to it: what it saw of the others. */
function externalReads(t: Txn): { key: Key; list: readonly number[] }[] {
  const appended = new Set<Key>()
  const out: { key: Key; list: readonly number[] }[] = []
  for (const op of t.ops) {
    if (op[0] === 'append') appended.add(op[1])
    else if (op[2] !== null && !appended.has(op[1])) out.push({ key: op[1], list: op[2] })
  }
  return out
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Strongly connected components with more than one node (Tarjan, iterative: histories are long). */
export function stronglyConnected(nodes: readonly number[], graph: Graph): number[][] {
  let counter = 0
  const index = new Map<number, number>()
  const low = new Map<number, number>()
  const onStack = new Set<number>()
  const stack: number[] = []
  const out: number[][] = []
  for (const root of nodes) {
    if (index.has(root)) continue
    const work: { v: number; next: Iterator<number> }[] = []
    const enter = (v: number): void => {
      index.set(v, counter)
      low.set(v, counter)
      counter++
      stack.push(v)
      onStack.add(v)
      work.push({ v, next: (graph.get(v) ?? new Map<number, string[]>()).keys() })
    }
    enter(root)
    while (work.length > 0) {
      const frame = work[work.length - 1] as { v: number; next: Iterator<number> }
      const step = frame.next.next()
      if (!step.done) {
        const w = step.value
        if (!index.has(w)) enter(w)
        else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v) as number, index.get(w) as number))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(frame.v) as number))
      if (low.get(frame.v) === index.get(frame.v)) {
        const scc: number[] = []
        for (;;) {
          const w = stack.pop() as number
          onStack.delete(w)
          scc.push(w)
          if (w === frame.v) break
        }
        if (scc.length > 1) out.push(scc.sort((a, b) => a - b))
      }
    }
  }
  return out
}

/** A shortest path from `from` to `to` inside `within` (breadth first), as node ids. */
function path(graph: Graph, from: number, to: number, within: ReadonlySet<number>): number[] | null {
  const prev = new Map<number, number>([[from, from]])
  const queue = [from]
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i] as number
    if (v === to) {
      const out = [to]
      while (out[0] !== from) out.unshift(prev.get(out[0] as number) as number)
      return out
    }
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!within.has(w) || prev.has(w)) continue
      prev.set(w, v)
      queue.push(w)
    }
  }
  return null
}

/**
 * One cycle of the component that goes through an edge of kind `through` (any edge when null),
 * written `T1 -ww(x)-> T2 -wr(y)-> T1`.
 */
function explain(graph: Graph, scc: readonly number[], through: EdgeKind | null): string {
  const within = new Set(scc)
  for (const a of scc) {
    for (const [b, labels] of graph.get(a) ?? []) {
      if (!within.has(b)) continue
      if (through !== null && !labels.some((l) => l.startsWith(`${through}(`))) continue
      const back = path(graph, b, a, within)
      if (!back) continue
      const cycle = [a, ...back]
      let text = `T${str(a)}`
      for (let i = 0; i + 1 < cycle.length; i++) {
        const f = cycle[i] as number
        const t = cycle[i + 1] as number
        const ls = graph.get(f)?.get(t) ?? []
        const label = (i === 0 && through !== null ? ls.find((l) => l.startsWith(`${through}(`)) : ls[0]) ?? '?'
        text += ` -${label}-> T${str(t)}`
      }
      return text
    }
  }
  return `cycle among ${str(scc.length)} transactions`
}

/** Checks a list-append history; returns every anomaly found (none for a serializable history). */
export function check(history: readonly Txn[], options: CheckOptions = {}): Anomaly[] {
  const anomalies: Anomaly[] = []
  const report = (kind: AnomalyKind, txns: readonly number[], detail: string): void => {
    anomalies.push({ kind, txns, detail })
  }

  // Who appended each value, and whether it was the writer's last append to that key.
  const writer = new Map<string, { txn: Txn; final: boolean }>() // `${key}|${value}`
  const ref = (key: Key, v: number): string => `${str(key)}|${str(v)}`
  for (const t of history) {
    const last = new Map<Key, number>()
    for (const op of t.ops) if (op[0] === 'append') last.set(op[1], op[2])
    for (const op of t.ops) {
      if (op[0] !== 'append') continue
      const other = writer.get(ref(op[1], op[2]))
      if (other && other.txn !== t) report('duplicate', [other.txn.id, t.id], `key ${str(op[1])}: value ${str(op[2])} appended twice`)
      writer.set(ref(op[1], op[2]), { txn: t, final: last.get(op[1]) === op[2] })
    }
  }
  const ok = history.filter((t) => t.status === 'ok')

  // Every committed read: duplicates, garbage, aborted reads; a read after the transaction's own
  // appends must end with them.
  const allReads = new Map<Key, { txn: Txn; list: readonly number[] }[]>()
  for (const t of ok) {
    const mine = new Map<Key, number[]>()
    for (const op of t.ops) {
      if (op[0] === 'append') {
        push(mine, op[1], op[2])
        continue
      }
      const [, key, list] = op
      if (list === null) continue
      push(allReads, key, { txn: t, list })
      if (new Set(list).size !== list.length) report('duplicate', [t.id], `key ${str(key)}: read ${show(list)}`)
      for (const v of list) {
        const w = writer.get(ref(key, v))
        if (!w) report('garbage', [t.id], `key ${str(key)}: read ${show(list)}, nobody appended ${str(v)}`)
        else if (w.txn.status === 'fail') report('G1a', [w.txn.id, t.id], `key ${str(key)}: T${str(t.id)} read ${show(list)}, ${str(v)} was appended by aborted T${str(w.txn.id)}`)
      }
      const own = mine.get(key)
      if (own && !isPrefix(own, list.slice(list.length - own.length))) {
        report('internal', [t.id], `key ${str(key)}: read ${show(list)} after appending ${show(own)}`)
      }
    }
  }

  // Version orders: the longest committed read of each key; every other read must be its prefix.
  const order = new Map<Key, readonly number[]>()
  for (const [key, rs] of allReads) {
    let longest: readonly number[] = []
    for (const r of rs) if (r.list.length > longest.length) longest = r.list
    for (const r of rs) {
      if (!isPrefix(r.list, longest)) report('incompatible-order', [r.txn.id], `key ${str(key)}: T${str(r.txn.id)} read ${show(r.list)}, the longest read ${show(longest)}; they differ ${divergence(r.list, longest)}`)
    }
    order.set(key, longest)
  }

  // With a final read: every committed append is in it.
  const finalTxn = options.finalTxn === undefined ? undefined : ok.find((t) => t.id === options.finalTxn)
  if (options.finalTxn !== undefined && !finalTxn) throw new Error(`check: no committed transaction ${str(options.finalTxn)}`)
  if (finalTxn) {
    const finalRead = new Map<Key, readonly number[]>()
    for (const op of finalTxn.ops) if (op[0] === 'r' && op[2] !== null) finalRead.set(op[1], op[2])
    for (const t of ok) {
      for (const op of t.ops) {
        if (op[0] !== 'append') continue
        const seen = finalRead.get(op[1])
        if (seen && !seen.includes(op[2])) report('lost-update', [t.id], `key ${str(op[1])}: committed append ${str(op[2])} of T${str(t.id)} missing from the final read ${show(seen)}`)
      }
    }
  }

  // The reads of the others' appends (before the transaction's own) carry the dependencies.
  const reads = new Map<Key, { txn: Txn; list: readonly number[] }[]>()
  for (const t of ok) for (const r of externalReads(t)) push(reads, r.key, { txn: t, list: r.list })

  // G1b: a read ending at another transaction's non-final append to the key.
  for (const [key, rs] of reads) {
    for (const r of rs) {
      const lastV = r.list[r.list.length - 1]
      if (lastV === undefined) continue
      const w = writer.get(ref(key, lastV))
      if (w && w.txn !== r.txn && !w.final) report('G1b', [w.txn.id, r.txn.id], `key ${str(key)}: T${str(r.txn.id)} read ${show(r.list)}, ${str(lastV)} is an intermediate append of T${str(w.txn.id)}`)
    }
  }

  // Lost update: committed transactions that read the same version of a key and appended to it.
  // (Reads that are prefixes of the version order are versions by their length; the others are
  // already reported as incompatible.)
  for (const [key, rs] of reads) {
    const list = order.get(key) ?? []
    const byVersion = new Map<number, Set<number>>()
    for (const r of rs) {
      if (!isPrefix(r.list, list) || !r.txn.ops.some((op) => op[0] === 'append' && op[1] === key)) continue
      byVersion.set(r.list.length, (byVersion.get(r.list.length) ?? new Set()).add(r.txn.id))
    }
    for (const [n, set] of byVersion) {
      const ids = [...set].sort((a, b) => a - b)
      if (ids.length > 1) report('lost-update', ids, `key ${str(key)}: ${ids.map((i) => `T${str(i)}`).join(', ')} all read ${show(list.slice(0, n))} and appended`)
    }
  }

  // The dependency graph.
  const graphs: Record<EdgeKind, Graph> = { ww: new Map(), wr: new Map(), rw: new Map() }
  const add = (kind: EdgeKind, key: Key, from: Txn, to: Txn): void => {
    if (from === to) return
    let out = graphs[kind].get(from.id)
    if (!out) graphs[kind].set(from.id, (out = new Map<number, string[]>()))
    const labels = out.get(to.id) ?? []
    const label = `${kind}(${str(key)})`
    if (!labels.includes(label)) out.set(to.id, [...labels, label])
  }
  const who = (key: Key, v: number | undefined): Txn | undefined => (v === undefined ? undefined : writer.get(ref(key, v))?.txn)
  for (const [key, list] of order) {
    for (let i = 0; i + 1 < list.length; i++) {
      const a = who(key, list[i])
      const b = who(key, list[i + 1])
      if (a && b) add('ww', key, a, b)
    }
    for (const r of reads.get(key) ?? []) {
      const w = who(key, r.list[r.list.length - 1])
      if (w) add('wr', key, w, r.txn)
      if (isPrefix(r.list, list)) {
        const next = who(key, list[r.list.length])
        if (next) add('rw', key, r.txn, next)
      }
    }
  }
  const union = (...kinds: EdgeKind[]): Graph => {
    const g: Graph = new Map()
    for (const k of kinds) {
      for (const [f, tos] of graphs[k]) {
        const out = g.get(f) ?? new Map<number, string[]>()
        for (const [t, ls] of tos) out.set(t, [...(out.get(t) ?? []), ...ls])
        g.set(f, out)
      }
    }
    return g
  }
  const ids = history.map((t) => t.id)
  const reported = new Set<string>()
  for (const [kind, graph, through] of [
    ['G0', union('ww'), null],
    ['G1c', union('ww', 'wr'), 'wr'],
    ['G2-item', union('ww', 'wr', 'rw'), 'rw'],
  ] as const) {
    for (const scc of stronglyConnected(ids, graph)) {
      // A component already found in a smaller graph is the same cycle: report it once, as the
      // stronger anomaly. A larger one must hold an edge of the new kind (else it would have been
      // a component of the smaller graph).
      const sig = scc.join(',')
      if (reported.has(sig)) continue
      reported.add(sig)
      report(kind, scc, explain(graph, scc, through))
    }
  }
  return anomalies
}
