/**
 * The public handle, {@link Database} (opened by `openDatabase`, open.ts). Everything here validates its
 * arguments and delegates: schema changes to `schema/ddl.ts`, activities to `txn/runner.ts`,
 * dirty operations to a dirty {@link Transaction}, events to `events/subscriptions.ts`.
 *
 * @module
 */
import { NoSuchTableError, WebnesiaError, rejected, safeString } from './errors.js'
import type { SystemEvent, TableEvent, DetailedTableEvent, SubscriptionSpec } from './events/subscriptions.js'
import { type LocalNode } from './node.js'
import * as ddl from './schema/ddl.js'
import { systemInfo, tableInfo, type SystemInfoItem, type TableInfoItem } from './schema/info.js'
import { checkTableName, type TableOptions } from './schema/table-def.js'
import type { SelectContinuation } from './query/executor.js'
import { checkKey, type Key } from './storage/term.js'
import type { ActivityKind } from './txn/access.js'
import { Committer } from './txn/committer.js'
import { Runner, type TransactionOptions } from './txn/runner.js'
import type { Row, SelectChunk, Transaction } from './txn/transaction.js'
import { WriteSet } from './txn/write-set.js'
import { checkIncrement } from './txn/counter.js'
import type { Session, JoinOptions } from './replication/session.js'
import type { Replicator } from './replication/replicator.js'
import { setRemotePolicy, type RemotePolicy } from './replication/remote-policy.js'
import type { StorageType } from './schema/table-def.js'
import { defineSaga, type SagaOptions, type SagaStep } from './saga/definition.js'
import { SagaHost } from './saga/host.js'
import { Saga } from './saga/saga.js'
import { LiveQuery } from './live/live-query.js'
import { observe } from './txn/observe.js'
import { checkJoinOptions, checkStorage } from './db-args.js'
import { EventStore } from './eventstore/store.js'
import { Aggregate, type AggregateDef } from './eventstore/aggregate.js'
import type { Projection, ProjectionDef } from './eventstore/projection.js'

/** A fn run by an activity. */
export type ActivityFn<T> = (t: Transaction) => Promise<T> | T

/** One tab's handle on a node. */
export class Database {
  private readonly committer: Committer
  private readonly runner: Runner
  private dirtyHandle: Transaction | null = null
  private session: Session | null = null
  private sagaHost: SagaHost | null = null
  private es: EventStore | null = null

  /** @internal Use {@link openDatabase}. */
  constructor(private readonly local: LocalNode) {
    this.committer = new Committer(local)
    this.runner = new Runner(local, this.committer)
  }

  /** The node id (stable across reloads, kept in IndexedDB). */
  get node(): string {
    return this.local.nodeId
  }

  /** The database name. */
  get name(): string {
    return this.local.name
  }

  /** Closes this tab's handle; later calls reject with `DatabaseClosedError`. */
  async close(): Promise<void> {
    this.sagaHost?.close() // running sagas are abandoned as by a dead tab; the next tab resumes them
    this.es?.stop()
    await this.session?.leave().catch(() => undefined)
    this.session = null
    this.local.subs.applied.close(this.local.applied)
    await this.local.close()
  }

  // ---- replication ----

  /**
   * Joins a room of peers (API.md, "Replication"): the node's leader tab connects to the other
   * nodes over WebRTC, a node new to the cluster gets a copy of every replicated table (seed
   * 000), and from then on every commit travels to every node holding a copy. Resolves once this
   * tab replicates, or another tab of the node does.
   *
   * @example
   * await db.join({ room: 'shop', signaling: ['ws://127.0.0.1:4444'], peerOpts: { config: { iceServers: [] } } })
   * // or through a Yjs sync server (y-websocket's; `serverKind: 'hocuspocus'` for Hocuspocus), with `signaling` too for both
   * await db.join({ room: 'shop', server: 'ws://127.0.0.1:1234' })
   */
  join(opts: JoinOptions): Promise<void> {
    return this.guard(async () => {
      checkJoinOptions(opts)
      if (this.session) throw new WebnesiaError('already_exists', 'join: this tab has joined already (leave first)')
      // Loaded on the first join only: an app that never joins does not ship yjs / y-webrtc / lib0
      // in its main chunk (bundlers split a dynamic import into a chunk of its own).
      const { Session } = await import('./replication/session.js')
      if (this.session) throw new WebnesiaError('already_exists', 'join: this tab has joined already (leave first)')
      const session = new Session(this.local, this.committer, opts)
      this.session = session
      try {
        await session.start()
      } catch (e) {
        this.session = null
        await session.leave()
        throw e
      }
    })
  }

  /** Leaves the room (this tab stops replicating; another joined tab of the node takes over). */
  leave(): Promise<void> {
    return this.guard(async () => {
      const s = this.session
      this.session = null
      await s?.leave()
    })
  }

  /**
   * The replication engine while this tab runs it (null otherwise): connected peers, the fault
   * hook (`faults.set`, `partition`, `heal`) and `resync`, for tests and tools.
   */
  get replication(): ReplicationControl | null {
    return this.session?.replicator ?? null
  }

  /**
   * Sets what this node commits of its peers' changes to `table`: 'accept' (the default), 'reject',
   * or `(change, peer) => boolean`; a refused change emits `remote_refused` and is set back
   * (replication/policy.ts). Set it in every tab that may replicate, before `join`.
   * @throws WebnesiaError `'bad_type'` for a bad table name, `'badarg'` for a bad policy
   * @example
   * db.setRemotePolicy('price', (change, peer) => peer === 'till-1')
   */
  setRemotePolicy(table: string, policy: RemotePolicy): void {
    this.local.check()
    setRemotePolicy(this.local, table, policy)
  }

  /** Adds a copy of a table on `node` (which creates it when it sees the change). */
  addTableCopy(table: string, node: string, storage: StorageType = 'disc_copies'): Promise<void> {
    return this.guard(() => this.setCopy(table, node, checkStorage(storage)))
  }
  /** Removes `node`'s copy of a table (the table lives on at the other nodes). */
  delTableCopy(table: string, node: string): Promise<void> {
    return this.guard(() => this.setCopy(table, node, null))
  }
  /** Changes the storage type of `node`'s copy (ram → disc persists it; disc → ram drops the store). */
  changeTableCopyType(table: string, node: string, storage: StorageType): Promise<void> {
    return this.guard(() => this.setCopy(table, node, checkStorage(storage)))
  }

  private async setCopy(table: string, node: string, storage: StorageType | null): Promise<void> {
    checkTableName(table)
    if (typeof node !== 'string' || node.length === 0) throw new WebnesiaError('badarg', 'a node id is a non-empty string')
    if (storage !== null && storage !== 'ram_copies' && storage !== 'disc_copies' && storage !== 'disc_only_copies') {
      throw new WebnesiaError('bad_type', `unknown storage type ${safeString(storage)}`)
    }
    const r = this.session?.replicator ?? null
    if (r) {
      await r.setCopy(table, node, storage)
      return
    }
    if (node !== this.local.nodeId) {
      throw new WebnesiaError('not_supported', 'copies on other nodes are set from the tab that replicates (join first)')
    }
    this.local.catalog.get(table)
    if (storage === null) await ddl.deleteTable(this.local, table)
    else await ddl.changeStorage(this.local, table, storage)
  }

  // ---- schema ----

  /** Creates a table (API.md, "Schema"). */
  createTable(name: string, opts: TableOptions): Promise<void> {
    return this.guard(() => ddl.createTable(this.local, name, opts))
  }
  /** Deletes a table and its records. */
  deleteTable(name: string): Promise<void> {
    return this.guard(() => ddl.deleteTable(this.local, name))
  }
  /** Removes every record of a table. */
  clearTable(name: string): Promise<void> {
    return this.guard(async () => {
      checkTableName(name)
      this.local.catalog.get(name)
      const ws = new WriteSet()
      ws.clear(name)
      await this.dirty().access.commitDirty(ws)
    })
  }
  /** Adds a secondary index. */
  addTableIndex(name: string, attr: string): Promise<void> {
    return this.guard(() => ddl.addTableIndex(this.local, name, attr))
  }
  /** Drops a secondary index. */
  delTableIndex(name: string, attr: string): Promise<void> {
    return this.guard(() => ddl.delTableIndex(this.local, name, attr))
  }
  /** Rewrites every record through `fn` (undefined deletes it), optionally under new attributes. */
  transformTable(
    name: string,
    fn: (old: Record<string, unknown>) => Record<string, unknown> | undefined,
    newAttributes?: readonly string[],
  ): Promise<void> {
    return this.guard(() => ddl.transformTable(this.local, name, fn, newAttributes))
  }
  /** Whose copy of the table wins after a partition (kept in the table's definition). */
  setMasterNodes(name: string, nodes: readonly string[]): Promise<void> {
    return this.guard(async () => {
      const list: unknown = nodes
      if (!Array.isArray(list) || !list.every((n) => typeof n === 'string' && n.length > 0)) {
        throw new WebnesiaError('badarg', 'setMasterNodes: nodes must be an array of node ids (non-empty strings)')
      }
      await ddl.setMasterNodes(this.local, name, nodes)
    })
  }
  /** An item of a table's information (API.md lists them); 'all' gives every item. */
  tableInfo(name: string, item: TableInfoItem): unknown {
    this.local.check()
    return tableInfo(this.local, this.local.catalog.get(name), item)
  }
  /**
   * Writes every commit so far into the object stores of the disc_copies tables (Mnesia's
   * `dump_log`). Never needed for durability: a commit is durable once its log record is, and
   * the stores catch up in the background. It shortens the next load and lets the log be
   * truncated; tools that read the object stores directly call it first.
   */
  async dumpLog(): Promise<void> {
    this.local.check()
    await this.local.catchUp() // every commit of the node, the other tabs' included
    await this.local.dump()
  }
  /** An item of the node's information. */
  systemInfo(item: SystemInfoItem): unknown {
    this.local.check()
    return systemInfo(this.local, item)
  }
  /**
   * Resolves once every table is available here; rejects with code 'timeout' (and the missing
   * tables in the message) after `timeoutMs`.
   */
  waitForTables(tables: readonly string[], timeoutMs = Infinity): Promise<void> {
    const list: readonly unknown[] = tables
    return this.guard(async () => {
      if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) throw new WebnesiaError('badarg', 'waitForTables: tables must be an array of table names')
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new WebnesiaError('badarg', `waitForTables: bad timeout ${safeString(timeoutMs)}`)
      await this.local.catchUp()
      // A table being copied from a peer is not available until its records are all here.
      const missing = (): string[] =>
        list.filter((t) => typeof t !== 'string' || !this.local.catalog.has(t) || this.local.copying.has(t)).map(String)
      if (missing().length === 0) return
      await new Promise<void>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined
        const off = this.local.subs.addSystem(() => {
          if (missing().length > 0) return
          off()
          if (timer !== undefined) clearTimeout(timer)
          resolve()
        })
        if (Number.isFinite(timeoutMs)) {
          timer = setTimeout(() => {
            off()
            reject(new WebnesiaError('timeout', `waitForTables: not available: ${missing().join(', ')}`))
          }, timeoutMs)
        }
      })
    })
  }

  // ---- activities ----

  /** Runs `fn` as a serializable transaction, retried on conflict (API.md, "Transactions"). */
  transaction<T>(fn: ActivityFn<T>, opts?: TransactionOptions): Promise<T> {
    return this.guard(() => this.runner.run('transaction', fn, opts))
  }
  /**
   * As {@link transaction}; also waits until every connected peer holds the commit. Peers that
   * did not acknowledge in time are named in a `sync_incomplete` system event.
   */
  syncTransaction<T>(fn: ActivityFn<T>, opts?: TransactionOptions): Promise<T> {
    return this.activity('sync_transaction', fn, opts)
  }
  /** Runs `fn` in an access context of the given kind (API.md, "Access contexts"). */
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
  /** `activity('async_dirty', fn)`. */
  asyncDirty<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('async_dirty', fn)
  }
  /** `activity('sync_dirty', fn)`. */
  syncDirty<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('sync_dirty', fn)
  }
  /** `activity('ets', fn)`: memory only, ram_copies tables only. */
  ets<T>(fn: ActivityFn<T>): Promise<T> {
    return this.activity('ets', fn)
  }

  // ---- dirty operations ----

  private dirty(): Transaction {
    this.local.check()
    this.dirtyHandle ??= this.runner.dirtyHandle()
    return this.dirtyHandle
  }

  /** Records with `key`, read without a transaction. */
  dirtyRead<T extends Row = Row>(tab: string, key: Key): Promise<T[]> {
    try {
      return this.dirty().read<T>(tab, key)
    } catch (e) {
      return rejected(e)
    }
  }
  /** Writes a record at once (durable when the promise resolves). */
  dirtyWrite(tab: string, record: Row): Promise<void> {
    return this.guard(() => this.dirty().write(tab, record))
  }
  /** Deletes every record of `key`. */
  dirtyDelete(tab: string, key: Key): Promise<void> {
    return this.guard(() => this.dirty().delete(tab, key))
  }
  /** Deletes exactly this record. */
  dirtyDeleteObject(tab: string, record: Row): Promise<void> {
    return this.guard(() => this.dirty().deleteObject(tab, record))
  }
  dirtyFirst(tab: string): Promise<Key | undefined> {
    return this.guard(() => this.dirty().first(tab))
  }
  dirtyLast(tab: string): Promise<Key | undefined> {
    return this.guard(() => this.dirty().last(tab))
  }
  dirtyNext(tab: string, key: Key): Promise<Key | undefined> {
    return this.guard(() => this.dirty().next(tab, key))
  }
  dirtyPrev(tab: string, key: Key): Promise<Key | undefined> {
    return this.guard(() => this.dirty().prev(tab, key))
  }
  dirtyAllKeys(tab: string): Promise<Key[]> {
    return this.guard(() => this.dirty().allKeys(tab))
  }
  /**
   * The records of the n-th key (0-based) in term order; `undefined` past the last one.
   * (Mnesia's slots are hash buckets; here a slot is one key, so iterating 0, 1, 2, … visits
   * every record once.)
   */
  dirtySlot<T extends Row = Row>(tab: string, n: number): Promise<T[] | undefined> {
    return this.guard(async () => {
      if (!Number.isInteger(n) || n < 0) throw new WebnesiaError('badarg', `dirtySlot: bad slot ${safeString(n)}`)
      const keys = await this.dirty().allKeys(tab)
      const k = keys[n]
      return k === undefined ? undefined : this.dirty().read<T>(tab, k)
    })
  }
  dirtyMatchObject<T extends Row = Row>(tab: string, pattern: Row): Promise<T[]> {
    return this.guard(() => this.dirty().matchObject<T>(tab, pattern))
  }
  /** Results of a match specification; with `n`, chunked (see `selectContinue`). */
  dirtySelect<T = unknown>(tab: string, spec: unknown): Promise<T[]>
  dirtySelect<T = unknown>(tab: string, spec: unknown, n: number): Promise<SelectChunk<T> | null>
  dirtySelect(tab: string, spec: unknown, n?: number): Promise<unknown> {
    return this.guard<unknown>(() => (n === undefined ? this.dirty().select(tab, spec) : this.dirty().select(tab, spec, n)))
  }
  /** The next chunk of a chunked `dirtySelect`. */
  selectContinue<T = unknown>(cont: SelectContinuation): Promise<SelectChunk<T> | null> {
    return this.guard(() => this.dirty().selectContinue<T>(cont))
  }
  dirtyIndexRead<T extends Row = Row>(tab: string, value: unknown, attr: string): Promise<T[]> {
    return this.guard(() => this.dirty().indexRead<T>(tab, value, attr))
  }
  dirtyIndexMatchObject<T extends Row = Row>(tab: string, pattern: Row, attr: string): Promise<T[]> {
    return this.guard(() => this.dirty().indexMatchObject<T>(tab, pattern, attr))
  }
  /**
   * Atomically adds `incr` to the counter `key` of a two-attribute table and returns the new
   * value. A missing counter starts at 0; a counter never goes below 0 (Mnesia's rule); a stored
   * value that is not a non-negative integer is replaced as OTP does (`txn/counter.ts`).
   *
   * @throws WebnesiaError 'bad_type' when `incr` is not an integer; 'combine_error' on a bag or a
   * table without exactly 2 attributes.
   */
  dirtyUpdateCounter(tab: string, key: Key, incr: number): Promise<number> {
    return this.guard(async () => {
      this.local.check()
      checkIncrement(typeof tab === 'string' ? tab : safeString(tab), incr)
      const rt = this.local.catalog.get(tab)
      if (rt.def.type === 'bag' || rt.def.attributes.length !== 2) {
        throw new WebnesiaError('combine_error', `${tab}: counters need a set or ordered_set table with exactly 2 attributes`)
      }
      checkKey(key)
      const ws = new WriteSet()
      ws.add(tab, key, { c: incr })
      const [v] = await this.dirty().access.commitDirty(ws)
      return v as number
    })
  }

  // ---- events ----

  /**
   * Subscribes to a table's events (`{ table, detail }`) or to system events (`'system'`).
   * Returns the unsubscribe function.
   */
  subscribe(spec: { table: string; detail?: 'simple' }, fn: (ev: TableEvent) => void): () => void
  subscribe(spec: { table: string; detail: 'detailed' }, fn: (ev: DetailedTableEvent) => void): () => void
  subscribe(spec: 'system', fn: (ev: SystemEvent) => void): () => void
  subscribe(spec: SubscriptionSpec, fn: (ev: never) => void): () => void {
    this.local.check()
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'subscribe: fn must be a function')
    if (spec === 'system') return this.local.subs.addSystem(fn as (ev: SystemEvent) => void)
    if (typeof spec !== 'object' || spec === null || typeof spec.table !== 'string') {
      throw new WebnesiaError('badarg', "subscribe: spec must be { table } or 'system'")
    }
    const detail = spec.detail ?? 'simple'
    if (detail !== 'simple' && detail !== 'detailed') throw new WebnesiaError('badarg', `subscribe: bad detail ${safeString(detail)}`)
    if (!this.local.catalog.has(spec.table)) throw new NoSuchTableError(spec.table)
    return this.local.subs.addTable(spec.table, detail === 'detailed', fn as (ev: TableEvent | DetailedTableEvent) => void, this.local.known)
  }

  // ---- sagas ----

  /**
   * Declares a saga (API.md, "Sagas"; src/saga/): its steps, each with an optional compensation.
   * The tab then also resumes this definition's sagas that a dead or frozen tab left unfinished.
   *
   * @throws BadSagaError for a malformed definition or options; WebnesiaError `'already_exists'`
   *   when this handle declared the name already
   * @example
   * const order = db.saga('order', [
   *   { name: 'reserve', run: (ctx, o) => ctx.transaction(async (t) => reserve(t, o)), compensate: (ctx, o) => ctx.transaction((t) => release(t, o)) },
   *   { name: 'payment', run: (ctx, o) => pay(o, ctx.idempotencyKey), compensate: (ctx, o) => refund(o, ctx.idempotencyKey) },
   *   { name: 'ship',    run: (ctx, o) => ctx.transaction((t) => ship(t, o)) },
   * ], { retries: 3 })
   * const { results } = await order.start({ sku: 'apple', qty: 2 })
   */
  saga<I = unknown>(name: string, steps: readonly SagaStep<I>[], options?: SagaOptions): Saga<I> {
    this.local.check()
    const def = defineSaga<I>(name, steps, options)
    this.sagaHost ??= new SagaHost(this, (ev) => this.local.systemEvent(ev))
    return new Saga<I>(this.sagaHost, def)
  }

  // ---- live queries ----

  /**
   * A query followed live (API.md, "Live queries"): `fn` is a read-only transaction function; it
   * runs when the first subscriber comes, then again after every commit — this tab's, another
   * tab's or a peer's — that changed something it read. Values are consistent snapshots, in commit
   * order, never repeated when deep-equal; bursts of commits are coalesced.
   *
   * @throws DatabaseClosedError when the handle is closed.
   * @throws WebnesiaError `badarg` when `fn` is not a function.
   * @example
   * const q = db.liveQuery((t) => t.matchObject('stock', { sku: '_' }))
   * const off = q.subscribe((rows) => render(rows), (err) => console.error(err))
   */
  liveQuery<T>(fn: ActivityFn<T>): LiveQuery<T> {
    this.local.check()
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'liveQuery: fn must be a function')
    return new LiveQuery<T>({
      observe: () => observe(this.local, this.committer, this.runner, fn),
      onApplied: (l) => this.local.subs.applied.add(l),
    })
  }

  // ---- event sourcing (src/eventstore/) ----

  /**
   * The node's event store (API.md, "Event store, aggregates and projections"): streams of events
   * in the node's own tables, created on first use. The same object on every call in this tab.
   *
   * @example
   * const es = db.eventStore()
   * await es.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 0 })
   */
  eventStore(): EventStore {
    this.local.check()
    this.es ??= new EventStore(this, (ev) => this.local.systemEvent(ev))
    return this.es
  }

  /**
   * An event-sourced aggregate whose streams are its ids (`src/eventstore/aggregate.ts`).
   *
   * @throws WebnesiaError `'badarg'` for a bad name or definition.
   * @example
   * const Account = db.aggregate('account', { initial: () => ({ balance: 0 }), execute: (s, c) => [...], apply: (s, ev) => s })
   */
  aggregate<S, C = unknown>(name: string, def: AggregateDef<S, C>): Aggregate<S, C> {
    const es = this.eventStore()
    return new Aggregate(es, es.projections, name, def)
  }

  /**
   * Declares a projection in this tab and starts it (`src/eventstore/projection.ts`): its writes
   * and its checkpoint commit in one transaction, so each event is applied once on the node.
   *
   * @throws WebnesiaError `'badarg'` for a bad definition, `'already_exists'` when this tab declared it already.
   * @example
   * const balances = db.projection('balances', { handle: async (t, ev) => t.write('balance', { id: ev.stream, last: ev.version }) })
   */
  projection(name: string, def: ProjectionDef): Projection {
    return this.eventStore().projections.declare(name, def)
  }

  /** Runs `fn` as an async call, turning synchronous throws into rejections. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    this.local.check()
    return fn()
  }
}

/**
 * The replication this tab runs while it leads a joined node, as tests and tools see it: its
 * peers, and the fault and partition controls. The replicator's other methods are internal.
 */
export type ReplicationControl = Pick<Replicator, 'self' | 'connected' | 'attach' | 'faults' | 'partition' | 'heal' | 'idle' | 'resync' | 'sendRaw'>
