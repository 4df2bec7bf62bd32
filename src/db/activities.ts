/**
 * Activities of the public handle (a layer of {@link Database}, see db/base.ts): transactions and
 * the other access contexts of API.md, run by txn/runner.ts.
 *
 * @module
 */
import type { ActivityKind } from '../txn/access.js'
import { type TransactionOptions } from '../txn/runner.js'
import type { Transaction } from '../txn/transaction.js'
import { SchemaOps } from './schema.js'

/** A fn run by an activity. */
export type ActivityFn<T> = (t: Transaction) => Promise<T> | T

/** Activities of {@link Database}. */
export abstract class Activities extends SchemaOps {
  // ---- activities ----

  /**
   * Runs `fn` as a serializable transaction, retried on conflict (API.md, "Transactions").
   * @throws WebnesiaError (`'badarg'`) when `fn` is not a function or the options are malformed (`retries` not an
   * integer ≥ 0); TransactionAbortedError (`'aborted'`): `reason` is what `fn` threw or passed to `t.abort`, the
   * failing operation's own error (a NoSuchTableError, a BadRecordError, …), or `'conflict'` when the retries ran
   * out; nothing is committed
   * @example
   * const total = await db.transaction(async (t) => {
   *   const [acct] = await t.read<{ id: number; balance: number }>('account', 1)
   *   await t.write('account', { id: 1, balance: (acct?.balance ?? 0) + 10 })
   *   return (acct?.balance ?? 0) + 10
   * })
   */
  transaction<T>(fn: ActivityFn<T>, opts?: TransactionOptions): Promise<T> {
    return this.guard(() => this.runner.run('transaction', fn, opts))
  }
  /**
   * As {@link transaction}; also waits until every connected peer holds the commit. Peers that
   * did not acknowledge in time are named in a `sync_incomplete` system event.
   * @throws WebnesiaError (`'badarg'`) when `fn` is not a function or the options are malformed (`retries` not an
   * integer ≥ 0); TransactionAbortedError (`'aborted'`): `reason` is what `fn` threw or passed to `t.abort`, the
   * failing operation's own error (a NoSuchTableError, a BadRecordError, …), or `'conflict'` when the retries ran
   * out; nothing is committed
   */
  syncTransaction<T>(fn: ActivityFn<T>, opts?: TransactionOptions): Promise<T> {
    return this.activity('sync_transaction', fn, opts)
  }
  /**
   * Runs `fn` in an access context of the given kind (API.md, "Access contexts").
   * @throws WebnesiaError (`'badarg'`) for an unknown kind, a `fn` that is not a function or malformed options;
   * TransactionAbortedError (`'aborted'`): `reason` is what `fn` threw or passed to `t.abort`, the failing
   * operation's own error (a NoSuchTableError, a BadRecordError, …), or `'conflict'` when the retries ran out;
   * nothing is committed (a dirty kind commits each operation at once: what ran before the failure stays)
   */
  activity<T>(kind: ActivityKind, fn: ActivityFn<T>, opts?: TransactionOptions): Promise<T> {
    return this.guard(async () => {
      const out = await this.runner.run(kind, fn, opts)
      if (kind === 'sync_transaction' || kind === 'sync_dirty') {
        const lsn = this.local.applied
        const unreached = await this.local.awaitReplicated(lsn)
        if (unreached.length > 0) this.local.systemEvent({ type: 'sync_incomplete', lsn, nodes: unreached })
      }
      return out
    })
  }
  /**
   * `activity('async_dirty', fn)`.
   * @throws WebnesiaError (`'badarg'`) when `fn` is not a function; TransactionAbortedError (`'aborted'`) wrapping
   * what `fn` threw (its earlier dirty writes stay)
   */
  asyncDirty<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('async_dirty', fn)
  }
  /**
   * `activity('sync_dirty', fn)`.
   * @throws WebnesiaError (`'badarg'`) when `fn` is not a function; TransactionAbortedError (`'aborted'`) wrapping
   * what `fn` threw (its earlier dirty writes stay)
   */
  syncDirty<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('sync_dirty', fn)
  }
  /**
   * `activity('ets', fn)`: memory only, ram_copies tables only.
   * @throws WebnesiaError (`'badarg'`) when `fn` is not a function; TransactionAbortedError (`'aborted'`) wrapping
   * what `fn` threw, e.g. `'not_supported'` for a table that is not ram_copies
   */
  ets<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('ets', fn)
  }
}
