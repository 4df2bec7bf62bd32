/**
 * Ownership of a saga: which tab runs it. The claim in the saga row is the source of truth.
 *
 * A claim is a token (`<tab>:<n>`, fresh for every claim, so a tab that lost a saga and won it back
 * holds a different token) and a lease expiry (`Date.now()` ms: every tab of a node is on one
 * device, so they share the clock). All three moves are transactions of the node, serializable
 * across its tabs, so exactly one tab wins a race:
 *
 * - **claim**: the saga is unfinished and its claim is empty or expired → take it (start() claims a
 *   new saga as it writes it);
 * - **renew**: the row still carries my token → extend the lease (the runner's heartbeat, every
 *   quarter lease, for as long as it runs the saga, steps and backoff waits included);
 * - **fenced**: every record the runner writes (a step's start and outcome, each ctx.transaction
 *   with the step's local writes) is committed in a transaction that first checks the token.
 *   A deposed owner — a tab that froze past its lease while a step ran, and woke up — commits
 *   nothing and stops: it sees {@link Deposed}.
 *
 * A frozen or crashed tab renews nothing, so its lease runs out and the next tab's scan takes the
 * saga over. No Web Lock is involved: a frozen tab holding one would block the others (TESTING.md).
 *
 * @module
 */
import { TransactionAbortedError } from '../errors.js'
import type { Transaction } from '../txn/transaction.js'
import { SAGA, isTerminal, logEvent, type SagaDb, type SagaRow } from './log.js'

/** The reason of a fenced transaction whose saga is no longer this runner's. */
export class Deposed {
  constructor(readonly id: string) {}
}

let tabSeq = 0
/** A new claim token of the tab `tab`. */
export function newToken(tab: string): string {
  tabSeq += 1
  return `${tab}:${String(tabSeq)}`
}

/** True for the rejection of a fenced transaction that found another owner. */
export function isDeposed(e: unknown): boolean {
  return e instanceof TransactionAbortedError && e.reason instanceof Deposed
}

/**
 * Reads saga `id` in `t` and aborts the transaction with {@link Deposed} unless `token` owns it.
 * The write lock makes the check and the writes that follow one atomic step.
 */
export async function fence(t: Transaction, id: string, token: string): Promise<SagaRow> {
  const [row] = await t.read<SagaRow & Record<string, unknown>>(SAGA, id, 'write')
  if (!row || row.owner !== token || isTerminal(row.status)) t.abort(new Deposed(id))
  return row
}

/**
 * Takes saga `id` for `token` if it is unfinished and nobody holds a live claim; records a
 * `resumed` event. Resolves with the row as claimed, or null.
 */
export function claim(db: SagaDb, id: string, token: string, leaseMs: number): Promise<SagaRow | null> {
  return db.transaction(async (t) => {
    const [row] = await t.read<SagaRow & Record<string, unknown>>(SAGA, id, 'write')
    const now = Date.now()
    if (!row || isTerminal(row.status)) return null
    if (row.owner !== null && row.lease > now) return null
    const seq = await logEvent(t, id, row.seq, 'resumed', '', 0)
    const next: SagaRow = { ...row, owner: token, lease: now + leaseMs, seq, updated: now }
    await t.write(SAGA, next as SagaRow & Record<string, unknown>)
    return next
  })
}

/** Extends `token`'s lease on saga `id`. Resolves false when the saga is no longer its own. */
export async function renew(db: SagaDb, id: string, token: string, leaseMs: number): Promise<boolean> {
  try {
    await db.transaction(async (t) => {
      const row = await fence(t, id, token)
      await t.write(SAGA, { ...row, lease: Date.now() + leaseMs })
    })
    return true
  } catch (e) {
    if (isDeposed(e)) return false
    throw e
  }
}
