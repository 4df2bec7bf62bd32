/**
 * An Elle-style checker for list-append histories (Kingsbury & Alvaro, "Elle: Inferring Isolation
 * Anomalies from Experimental Observations", VLDB 2020), small enough to read in one sitting.
 *
 * A history is a set of transactions, each `ok` (committed), `fail` (aborted) or `info` (outcome
 * unknown), made of micro-ops: `['append', key, value]` (values unique per key) and
 * `['r', key, list]` (the list the transaction saw). Because appends build lists, a read reveals
 * the whole order of the appends before it: the longest read of a key gives the key's version
 * order, every other read must be a prefix of it, and the dependency graph follows:
 *
 *   ww  writer of element i      → writer of element i + 1
 *   wr  writer of the last element a read saw → the reader
 *   rw  a reader                  → writer of the first element it did not see (anti-dependency)
 *
 * Anomalies: G0 (a cycle of ww edges), G1a (a read saw an aborted append), G1b (a read saw an
 * intermediate append: one its writer followed with another append to that key), G1c (a cycle of
 * ww and wr edges), G2-item (a cycle needing an rw edge), lost update (two committed transactions
 * appended to a key after reading the same version of it, or a committed append missing from the
 * final order), plus incompatible orders, duplicates and garbage reads (values nobody appended).
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
export type AnomalyKind = 'G0' | 'G1a' | 'G1b' | 'G1c' | 'G2-item' | 'lost-update' | 'incompatible-order' | 'duplicate' | 'garbage' | 'internal'
export interface Anomaly {
  readonly kind: AnomalyKind
  readonly txns: readonly number[]
  readonly detail: string
}

type EdgeKind = 'ww' | 'wr' | 'rw'

/** Reads a transaction made of a key before appending to it (its external reads). */
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

/** Strongly connected components with more than one node (Tarjan). */
function cycles(nodes: readonly number[], edges: ReadonlyMap<number, ReadonlySet<number>>): number[][] {
  let index = 0
  const idx = new Map<number, number>()
  const low = new Map<number, number>()
  const onStack = new Set<number>()
  const stack: number[] = []
  const out: number[][] = []
  const visit = (v: number): void => {
    idx.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: number[] = []
      for (;;) {
        const w = stack.pop() as number
        onStack.delete(w)
        scc.push(w)
        if (w === v) break
      }
      if (scc.length > 1) out.push(scc.sort((a, b) => a - b))
    }
  }
  for (const v of nodes) if (!idx.has(v)) visit(v)
  return out
}

/** Checks a list-append history; returns every anomaly found (none for a serializable history). */
export function check(history: readonly Txn[]): Anomaly[] {
  const anomalies: Anomaly[] = []
  const writer = new Map<string, { txn: Txn; final: boolean }>() // `${key}|${value}`
  for (const t of history) {
    const last = new Map<Key, number>()
    for (const op of t.ops) if (op[0] === 'append') last.set(op[1], op[2])
    for (const op of t.ops) {
      if (op[0] !== 'append') continue
      writer.set(`${String(op[1])}|${String(op[2])}`, { txn: t, final: last.get(op[1]) === op[2] })
    }
  }
  const ok = history.filter((t) => t.status === 'ok')

  // Internal consistency: a read after the transaction's own appends ends with them.
  for (const t of ok) {
    const mine = new Map<Key, number[]>()
    for (const op of t.ops) {
      if (op[0] === 'append') mine.set(op[1], [...(mine.get(op[1]) ?? []), op[2]])
      else if (op[2] !== null && mine.has(op[1])) {
        const own = mine.get(op[1]) as number[]
        if (!isPrefix(own, op[2].slice(op[2].length - own.length))) {
          anomalies.push({ kind: 'internal', txns: [t.id], detail: `read of ${String(op[1])} misses own appends` })
        }
      }
    }
  }

  // Version orders from the longest read of each key.
  const reads = new Map<Key, { txn: Txn; list: readonly number[] }[]>()
  for (const t of ok) {
    for (const op of t.ops) {
      if (op[0] !== 'r' || op[2] === null) continue
      const list = op[2]
      if (new Set(list).size !== list.length) anomalies.push({ kind: 'duplicate', txns: [t.id], detail: `key ${String(op[1])}: ${list.join(',')}` })
      for (const v of list) {
        const w = writer.get(`${String(op[1])}|${String(v)}`)
        if (!w) anomalies.push({ kind: 'garbage', txns: [t.id], detail: `key ${String(op[1])}: nobody appended ${String(v)}` })
        else if (w.txn.status === 'fail') anomalies.push({ kind: 'G1a', txns: [w.txn.id, t.id], detail: `key ${String(op[1])}: aborted append ${String(v)} read` })
      }
    }
    for (const r of externalReads(t)) reads.set(r.key, [...(reads.get(r.key) ?? []), { txn: t, list: r.list }])
  }
  const order = new Map<Key, readonly number[]>()
  for (const [key, rs] of reads) {
    let longest: readonly number[] = []
    for (const r of rs) if (r.list.length > longest.length) longest = r.list
    for (const r of rs) {
      if (!isPrefix(r.list, longest)) anomalies.push({ kind: 'incompatible-order', txns: [r.txn.id], detail: `key ${String(key)}: [${r.list.join(',')}] vs [${longest.join(',')}]` })
    }
    order.set(key, longest)
  }
  // Every committed append must be in its key's final order (the checker is given a final read).
  for (const t of ok) {
    for (const op of t.ops) {
      if (op[0] !== 'append' || !order.has(op[1])) continue
      if (!(order.get(op[1]) as readonly number[]).includes(op[2])) {
        anomalies.push({ kind: 'lost-update', txns: [t.id], detail: `key ${String(op[1])}: committed append ${String(op[2])} never read` })
      }
    }
  }

  // G1b: a read ending at a non-final append of another transaction.
  for (const [key, rs] of reads) {
    for (const r of rs) {
      const lastV = r.list[r.list.length - 1]
      if (lastV === undefined) continue
      const w = writer.get(`${String(key)}|${String(lastV)}`)
      if (w && w.txn !== r.txn && !w.final) anomalies.push({ kind: 'G1b', txns: [w.txn.id, r.txn.id], detail: `key ${String(key)}: intermediate ${String(lastV)}` })
    }
  }

  // Lost update: two committed transactions read the same version of a key and both appended to it.
  for (const [key, rs] of reads) {
    const byVersion = new Map<number, Set<number>>()
    for (const r of rs) {
      if (!r.txn.ops.some((op) => op[0] === 'append' && op[1] === key)) continue
      byVersion.set(r.list.length, (byVersion.get(r.list.length) ?? new Set()).add(r.txn.id))
    }
    for (const [v, set] of byVersion) {
      const ids = [...set]
      if (ids.length > 1) anomalies.push({ kind: 'lost-update', txns: ids, detail: `key ${String(key)}: ${String(ids.length)} appends after version ${String(v)}` })
    }
  }

  // The dependency graph.
  const edges: Record<EdgeKind, Map<number, Set<number>>> = { ww: new Map(), wr: new Map(), rw: new Map() }
  const add = (kind: EdgeKind, from: Txn, to: Txn): void => {
    if (from === to) return
    let s = edges[kind].get(from.id)
    if (!s) edges[kind].set(from.id, (s = new Set()))
    s.add(to.id)
  }
  const who = (key: Key, v: number | undefined): Txn | undefined => (v === undefined ? undefined : writer.get(`${String(key)}|${String(v)}`)?.txn)
  for (const [key, list] of order) {
    for (let i = 0; i + 1 < list.length; i++) {
      const a = who(key, list[i])
      const b = who(key, list[i + 1])
      if (a && b) add('ww', a, b)
    }
    for (const r of reads.get(key) ?? []) {
      const w = who(key, r.list[r.list.length - 1])
      if (w) add('wr', w, r.txn)
      const next = who(key, list[r.list.length])
      if (next) add('rw', r.txn, next)
    }
  }
  const ids = history.map((t) => t.id)
  const union = (...kinds: EdgeKind[]): Map<number, Set<number>> => {
    const m = new Map<number, Set<number>>()
    for (const k of kinds) for (const [f, ts] of edges[k]) m.set(f, new Set([...(m.get(f) ?? []), ...ts]))
    return m
  }
  const reported = new Set<string>()
  for (const [kind, graph] of [
    ['G0', union('ww')],
    ['G1c', union('ww', 'wr')],
    ['G2-item', union('ww', 'wr', 'rw')],
  ] as const) {
    for (const scc of cycles(ids, graph)) {
      const sig = scc.join(',')
      if (reported.has(sig)) continue // the same cycle, already reported under a stronger anomaly
      reported.add(sig)
      anomalies.push({ kind, txns: scc, detail: `cycle among ${String(scc.length)} transactions` })
    }
  }
  return anomalies
}
