/**
 * Running activities: the retry loop of optimistic transactions, nested transactions, and the
 * dirty contexts (Mnesia's mnesia:activity/2 and mnesia_tm).
 *
 *     run fn against memory ──► conflict seen while reading? ──► back off, run again
 *            │ fn threw / t.abort ──► still valid? abort with the reason : run again
 *            ▼
 *     read-only? validate in memory (or inside a commit for disc_only reads)
 *     else submit {reads, writes} to the group committer ──► 'conflict' ──► back off, run again
 *            ▼
 *     durable: resolve with fn's value
 *
 * @module
 */
import { DatabaseClosedError, TransactionAbortedError, WebnesiaError, rejected, safeString } from '../errors.js'
import type { LocalNode } from '../node.js'
import { Access, ConflictSignal, type ActivityKind } from './access.js'
import { attemptsOf, type Attempt } from './attempts.js'
import type { Committer } from './committer.js'
import { checkRouting, commitRouteOf, type ReadRouting } from './route.js'
import { AbortSignal, Transaction } from './transaction.js'

/** Options of `db.transaction` (read routing and primary tables: route.ts). */
export interface TransactionOptions extends ReadRouting {
  /** How many times a conflicting transaction is run again. Default Infinity. */
  retries?: number
}

/** runOnce's answer when the function must run again. */
const AGAIN = Symbol('again')

const KINDS: readonly ActivityKind[] = ['transaction', 'sync_transaction', 'async_dirty', 'sync_dirty', 'ets']

/** Waits a random time that grows with the attempt (bounded), so contending tabs spread out. */
function backoff(attempt: number): Promise<void> {
  const cap = Math.min(50, 2 ** Math.min(attempt, 6))
  const ms = Math.random() * cap
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs activities of one tab of the node. */
export class Runner {
  constructor(
    private readonly node: LocalNode,
    private readonly committer: Committer,
  ) {}

  /** Checks an activity kind. */
  static checkKind(kind: unknown): asserts kind is ActivityKind {
    if (!KINDS.includes(kind as ActivityKind)) throw new WebnesiaError('badarg', `unknown activity kind ${safeString(kind)}`)
  }

  /** A long-lived handle for dirty operations (no transaction, every write committed at once). */
  dirtyHandle(): Transaction {
    return new Transaction(new Access(this.node, this.committer, 'async_dirty', null), this.nest)
  }

  /** Runs a top-level activity of any kind. */
  run<T>(kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T, opts: TransactionOptions = {}): Promise<T> {
    Runner.checkKind(kind)
    if (typeof fn !== 'function') return Promise.reject(new WebnesiaError('badarg', 'activity: fn must be a function'))
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      return Promise.reject(new WebnesiaError('badarg', 'transaction options must be an object'))
    }
    try {
      checkRouting(opts)
    } catch (e) {
      return rejected(e)
    }
    if (kind === 'transaction' || kind === 'sync_transaction') return this.transaction(kind, fn, opts.retries ?? Infinity, opts)
    return this.dirty(kind, fn)
  }

  private async transaction<T>(kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T, retries: number, routing: ReadRouting = {}): Promise<T> {
    if (retries !== Infinity && !(Number.isInteger(retries) && retries >= 0)) {
      throw new WebnesiaError('badarg', `retries must be an integer >= 0 or Infinity, got ${safeString(retries)}`)
    }
    const attempts = attemptsOf(this.node)
    // Bounded by `retries`, and each run again follows a commit of someone else (a conflict
    // caused only by this tab's dirty commits does not restart: attempts.ts).
    for (let attempt = 0; ; attempt++) {
      if (attempt > retries) throw new TransactionAbortedError('conflict')
      if (attempt > 0) await backoff(attempt)
      this.node.check()
      // Start from everything another tab has announced: a transaction begun after a commit was
      // announced here sees it (the snapshot is never older than what this tab was told of).
      if (this.node.known > this.node.applied) await this.node.catchUp()
      const at = attempts.begin(this.node.applied)
      try {
        const out = await this.runOnce(kind, fn, at, routing)
        if (out !== AGAIN) return out.value
      } finally {
        attempts.end(at)
      }
    }
  }

  /** One run of a transaction function and its commit; AGAIN when it must run again. */
  private async runOnce<T>(
    kind: ActivityKind,
    fn: (t: Transaction) => Promise<T> | T,
    at: Attempt,
    routing: ReadRouting,
  ): Promise<{ value: T } | typeof AGAIN> {
    const access = new Access(this.node, this.committer, kind, null, at)
    const t = new Transaction(access, this.nest)
    let value: T
    try {
      value = await fn(t)
      if (t.aborted) throw t.aborted
    } catch (e) {
      t.finish()
      // `t.abort(reason)` is final (Mnesia: {aborted, Reason}), and so is anything else the
      // function throws: it was computed from a consistent view (opacity). Only a conflict runs
      // it again, also one the function caught and turned into another error.
      if (e instanceof ConflictSignal || (!(e instanceof AbortSignal) && access.reads?.conflict === true)) return AGAIN
      throw abortError(e, this.node)
    }
    t.finish()
    const reads = access.reads
    // The commit: a refusal caused only by this tab's own dirty commits (made by the function, or
    // beside it) is submitted again without running the function again. Bounded: each round after
    // the first needs a dirty commit of this tab applied since the previous one.
    let forgivenAt = -1
    for (;;) {
      if (!access.stillValid() && !access.forgive()) return AGAIN
      const route = commitRouteOf(this.node)
      if (route) {
        const routed = await route({ reads, writes: access.writes, routing, stillValid: () => access.stillValid() })
        if (routed === 'conflict') return AGAIN
        if (routed === 'committed') return { value }
      }
      if (access.writes.empty && reads && reads.discOnly.size === 0) return { value }
      const r = await this.committer.submit({ reads, writes: access.writes })
      if (r !== 'conflict') return { value }
      if (this.node.applied === forgivenAt) return AGAIN
      forgivenAt = this.node.applied
      if (!(await access.forgiveAll())) return AGAIN
    }
  }

  private async dirty<T>(kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T): Promise<T> {
    this.node.check()
    const t = new Transaction(new Access(this.node, this.committer, kind, null), this.nest)
    try {
      const v = await fn(t)
      if (t.aborted) throw t.aborted
      return v
    } catch (e) {
      throw abortError(e, this.node)
    } finally {
      t.finish()
    }
  }

  /** A handle over `access` whose nested activities this runner runs (see `observe.ts`). */
  handle(access: Access): Transaction {
    return new Transaction(access, this.nest)
  }

  /** Nested activities: a child transaction of a transaction; any kind inside a dirty context. */
  private readonly nest = async <T>(parent: Transaction, kind: ActivityKind, fn: (t: Transaction) => Promise<T> | T): Promise<T> => {
    Runner.checkKind(kind)
    const pa = parent.access
    // Inside a transaction every nested activity keeps transaction semantics (seed 004, 5.6).
    const childKind: ActivityKind = pa.transactional ? pa.kind : kind
    if (!pa.transactional && (kind === 'transaction' || kind === 'sync_transaction')) {
      return this.run(kind, fn)
    }
    const access = new Access(this.node, this.committer, childKind, pa)
    const t = new Transaction(access, this.nest)
    try {
      const v = await fn(t)
      if (t.aborted) throw t.aborted
      if (pa.transactional) pa.writes.merge(access.writes)
      return v
    } catch (e) {
      if (e instanceof ConflictSignal) throw e // the whole transaction restarts
      throw abortError(e, this.node)
    } finally {
      t.finish()
    }
  }
}

function abortError(e: unknown, node: LocalNode): WebnesiaError {
  if (node.closed && !(e instanceof AbortSignal)) return new DatabaseClosedError()
  if (e instanceof AbortSignal) return new TransactionAbortedError(e.reason)
  if (e instanceof TransactionAbortedError) return new TransactionAbortedError(e.reason, { cause: e })
  return new TransactionAbortedError(e)
}
