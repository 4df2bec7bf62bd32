/**
 * Observing a read-only transaction: the read-set hook live queries stand on (DESIGN.md
 * decision 9). {@link observe} runs a function as a read-only transaction and hands back, with its
 * value (or the error it threw), what it read — the keys with their versions and the tables read
 * whole (scans, folds, index reads, iteration) — and the LSN its snapshot is at. Matching later
 * commits (`events/applied.ts`) against that read set tells whether the result may have changed.
 *
 * The snapshot is consistent: a run that saw a commit land under it (opacity, `access.ts`) or whose
 * reads moved before it finished is run again at once (no backoff: a read-only run contends with
 * nobody). Reads of `disc_only_copies` tables are validated inside a commit, as a read-only
 * transaction's are. A failed run is a snapshot too: the error is what the function threw (or the
 * reason given to `t.abort`), and its reads so far are valid at the LSN returned.
 *
 * @module
 */
import { DatabaseClosedError, WebnesiaError } from '../errors.js'
import type { LocalNode } from '../node.js'
import { Access, ConflictSignal } from './access.js'
import type { Committer } from './committer.js'
import type { Runner } from './runner.js'
import { AbortSignal, type Transaction } from './transaction.js'
import { ReadSet, WriteSet } from './write-set.js'

/** How a run ended. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }

/** One observed run: its outcome, its read set, and the LSN at which both are a snapshot. */
export interface Observation<T> {
  readonly outcome: Outcome<T>
  readonly reads: ReadSet
  readonly lsn: number
}

/**
 * Runs `fn` as a read-only transaction and returns what it read with its outcome.
 * @throws DatabaseClosedError when the node closes (never an outcome).
 */
export async function observe<T>(
  node: LocalNode,
  committer: Committer,
  runner: Runner,
  fn: (t: Transaction) => Promise<T> | T,
): Promise<Observation<T>> {
  for (;;) {
    node.check()
    if (node.known > node.applied) await node.catchUp()
    const access = new Access(node, committer, 'transaction', null)
    const t = runner.handle(access)
    let outcome: Outcome<T>
    try {
      const value = await fn(t)
      if (t.aborted) throw t.aborted
      if (!access.writes.empty) {
        const tables = [...access.writes.tables.keys()].join(', ')
        throw new WebnesiaError('not_supported', `a live query is read-only; it wrote to ${tables}`)
      }
      outcome = { ok: true, value }
    } catch (e) {
      t.finish()
      if (node.closed) throw new DatabaseClosedError()
      if (e instanceof ConflictSignal || !access.stillValid()) continue
      outcome = { ok: false, error: e instanceof AbortSignal ? e.reason : e }
    }
    t.finish()
    const reads = access.reads ?? new ReadSet()
    if (reads.discOnly.size === 0) {
      if (!access.stillValid()) continue
      return { outcome, reads, lsn: node.applied }
    }
    const r = await committer.submit({ reads, writes: new WriteSet() })
    if (r === 'conflict') continue
    return { outcome, reads, lsn: r.lsn }
  }
}
