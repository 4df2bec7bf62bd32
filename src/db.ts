/**
 * The public handle, {@link Database} (opened by `openDatabase`, open.ts). Everything here validates its
 * arguments and delegates: schema changes to `schema/ddl.ts`, activities to `txn/runner.ts`,
 * dirty operations to a dirty {@link Transaction}, events to `events/subscriptions.ts`.
 *
 * @module
 */
import { NoSuchTableError, WebnesiaError, safeString } from './errors.js'
import type { SystemEvent, TableEvent, DetailedTableEvent, SubscriptionSpec } from './events/subscriptions.js'
import { type LocalNode } from './node.js'
import * as ddl from './schema/ddl.js'
import { checkTableName } from './schema/table-def.js'
import type { Session, JoinOptions } from './replication/session.js'
import type { Replicator } from './replication/replicator.js'
import { checkSetPrimary, notReplicating } from './primary/args.js'
import { PrimaryLoader } from './db/primary-load.js'
import { setRemotePolicy, type RemotePolicy } from './replication/remote-policy.js'
import type { StorageType } from './schema/table-def.js'
import { defineSaga, type SagaOptions, type SagaStep } from './saga/definition.js'
import { Sagas } from './saga/sagas.js'
import type { Saga } from './saga/saga.js'
import { LiveQuery } from './live/live-query.js'
import { checkJoinOptions, checkStorage } from './db-args.js'
import { Aggregate, EventStore, type Projection } from './eventstore/api.js'
import type { AggregateDef } from './eventstore/aggregate.js'
import type { ProjectionDef } from './eventstore/projection.js'
import { DirtyOps } from './db/dirty.js'
import type { ActivityFn } from './db/activities.js'

export type { ActivityFn }

/**
 * One tab's handle on a node. Once {@link Database.close} was called every method rejects (or, for the
 * synchronous ones, throws) with DatabaseClosedError (`'closed'`); each method's `@throws` lists the rest.
 */
export class Database extends DirtyOps {
  private session: Session | null = null
  private sagas: Sagas | null = null
  private es: EventStore | null = null
  /** Primary tables (src/primary/): loaded by the first `join`, or once another tab's roles reach this one. */
  private readonly primaries: PrimaryLoader

  /** @internal Use {@link openDatabase}. */
  constructor(local: LocalNode) {
    super(local)
    this.primaries = new PrimaryLoader(local, {
      node: local,
      port: () => this.session?.replicator?.primary ?? null,
      transaction: (fn, opts) => this.runner.run('transaction', fn, opts),
      createTable: (name, opts) => this.createTable(name, opts),
    })
  }

  /**
   * Closes this tab's handle; later calls reject with `DatabaseClosedError`.
   * @throws Nothing: closing twice is a no-op
   */
  async close(): Promise<void> {
    this.sagas?.close() // running sagas are abandoned as by a dead tab; the next tab resumes them
    this.es?.stop()
    this.primaries.close()
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
   * @throws WebnesiaError (`'badarg'`) for malformed options, `'already_exists'` when this tab has joined already;
   * the transport's error when it cannot connect; the tab is left unjoined
   */
  join(opts: JoinOptions): Promise<void> {
    return this.guard(async () => {
      checkJoinOptions(opts)
      if (this.session) throw new WebnesiaError('already_exists', 'join: this tab has joined already (leave first)')
      // Loaded on the first join only: an app that never joins does not ship yjs / y-webrtc / lib0
      // in its main chunk (bundlers split a dynamic import into a chunk of its own).
      // Primary tables answer peers while this tab replicates: loaded here, before the first frame
      // can arrive, and kept until close (as the queue of writes is).
      const [{ Session }] = await Promise.all([import('./replication/session.js'), this.primaries.load()])
      if (this.session) throw new WebnesiaError('already_exists', 'join: this tab has joined already (leave first)')
      this.local.check()
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

  /**
   * Leaves the room (this tab stops replicating; another joined tab of the node takes over).
   * @throws DatabaseClosedError (`'closed'`) once this handle is closed
   */
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

  /**
   * Adds a copy of a table on `node` (which creates it when it sees the change).
   * @throws WebnesiaError (`'bad_type'`) for a bad table name or storage type, `'badarg'` for a bad node id,
   * `'not_supported'` for another node's copy before `join`; NoSuchTableError (`'no_exists'`) when the table does
   * not exist
   */
  addTableCopy(table: string, node: string, storage: StorageType = 'disc_copies'): Promise<void> {
    return this.guard(() => this.setCopy(table, node, checkStorage(storage)))
  }
  /**
   * Removes `node`'s copy of a table (the table lives on at the other nodes).
   * @throws WebnesiaError (`'bad_type'`) for a bad table name, `'badarg'` for a bad node id, `'not_supported'` for
   * another node's copy before `join`; NoSuchTableError (`'no_exists'`) when the table does not exist
   */
  delTableCopy(table: string, node: string): Promise<void> {
    return this.guard(() => this.setCopy(table, node, null))
  }
  /**
   * Changes the storage type of `node`'s copy (ram → disc persists it; disc → ram drops the store).
   * @throws WebnesiaError (`'bad_type'`) for a bad table name or storage type, `'badarg'` for a bad node id,
   * `'not_supported'` for another node's copy before `join`; NoSuchTableError (`'no_exists'`) when the table does
   * not exist
   */
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

  // ---- events ----

  /**
   * Subscribes to a table's events (`{ table, detail }`) or to system events (`'system'`).
   * Returns the unsubscribe function.
   * @throws WebnesiaError (`'badarg'`) for a bad spec or a `fn` that is not a function (synchronously)
   * @example
   * const off = db.subscribe({ table: 'employee' }, (ev) => console.log(ev.type, ev.origin))   // 'write' | 'delete' …, 'local' | 'tab' | 'peer'
   * const offSys = db.subscribe('system', (ev) => { if (ev.type === 'node_down') console.warn(ev) })
   * off(); offSys()
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
   * @throws BadSagaError for a malformed definition or options; WebnesiaError `'already_exists'` when this handle
   * declared the name already
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
    this.sagas ??= new Sagas(this, (ev) => this.local.systemEvent(ev))
    return this.sagas.declare(def)
  }

  // ---- live queries ----

  /**
   * A query followed live (API.md, "Live queries"): `fn` is a read-only transaction function; it
   * runs when the first subscriber comes, then again after every commit — this tab's, another
   * tab's or a peer's — that changed something it read. Values are consistent snapshots, in commit
   * order, never repeated when deep-equal; bursts of commits are coalesced.
   *
   * @throws WebnesiaError `badarg` when `fn` is not a function
   * @example
   * const q = db.liveQuery((t) => t.matchObject('stock', { sku: '_' }))
   * const off = q.subscribe((rows) => render(rows), (err) => console.error(err))
   */
  liveQuery<T>(fn: ActivityFn<T>): LiveQuery<T> {
    this.local.check()
    if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'liveQuery: fn must be a function')
    return new LiveQuery<T>((m) => ({
      observe: () => m.observe(this.local, this.committer, this.runner, fn),
      onApplied: (l) => this.local.subs.applied.add(l),
    }))
  }

  // ---- event sourcing (src/eventstore/) ----

  /**
   * The node's event store (API.md, "Event store, aggregates and projections"): streams of events
   * in the node's own tables, created on first use. The same object on every call in this tab.
   *
   * @example
   * const es = db.eventStore()
   * await es.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 0 })
   * @throws DatabaseClosedError (`'closed'`) once this handle is closed
   */
  eventStore(): EventStore {
    this.local.check()
    this.es ??= new EventStore(this, (ev) => this.local.systemEvent(ev))
    return this.es
  }

  /**
   * An event-sourced aggregate whose streams are its ids (`src/eventstore/aggregate.ts`).
   *
   * @throws WebnesiaError `'badarg'` for a bad name or definition
   * @example
   * const Account = db.aggregate('account', { initial: () => ({ balance: 0 }), execute: (s, c) => [...], apply: (s, ev) => s })
   */
  aggregate<S, C = unknown>(name: string, def: AggregateDef<S, C>): Aggregate<S, C> {
    return new Aggregate(this.eventStore(), name, def)
  }

  /**
   * Declares a projection in this tab and starts it (`src/eventstore/projection.ts`): its writes
   * and its checkpoint commit in one transaction, so each event is applied once on the node.
   *
   * @throws WebnesiaError `'badarg'` for a bad definition, `'already_exists'` when this tab declared it already
   * @example
   * const balances = db.projection('balances', { handle: async (t, ev) => t.write('balance', { id: ev.stream, last: ev.version }) })
   */
  projection(name: string, def: ProjectionDef): Projection {
    return this.eventStore().projections.declare(name, def)
  }

  /**
   * Makes `node` the primary of `table` (API.md, "Read routing and primary tables"): from now on
   * that node commits the table's writes for the whole cluster, and a transaction on another node
   * that writes it is validated and committed there (src/primary/). Moving the role (fail-over)
   * starts a new epoch: a former primary's late commits never overwrite the new one's.
   * @throws WebnesiaError `'no_exists'` / `'bad_type'` for a bad table, `'badarg'` for a bad node,
   * `'not_supported'` when this tab does not replicate; PrimaryUnavailableError when `node` is unreachable
   * @example
   * await db.setPrimary('stock', db.node)
   */
  setPrimary(table: string, node: string): Promise<void> {
    return this.guard(() => {
      const primary = this.primaries.tables
      if (primary) primary.setPrimary(table, node)
      else {
        checkSetPrimary(this.local, table, node)
        notReplicating() // no join yet: no replication document to write the role into
      }
      return Promise.resolve()
    })
  }

  /** @internal */
  protected primaryInfo(name: string, item: 'primary' | 'lastSync'): unknown {
    return this.primaries.tables?.info(name, item)
  }
}

/**
 * The replication this tab runs while it leads a joined node, as tests and tools see it: its
 * peers, and the fault and partition controls. The replicator's other methods are internal.
 */
export type ReplicationControl = Pick<Replicator, 'self' | 'connected' | 'attach' | 'faults' | 'partition' | 'heal' | 'idle' | 'resync' | 'sendRaw'>
