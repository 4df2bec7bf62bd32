/**
 * The event store as the core holds it (API.md, "Event store, aggregates and projections"): the
 * public {@link EventStore}, {@link Aggregate} and {@link Projection}, which `db.eventStore()`,
 * `db.aggregate` and `db.projection` return at once. Their engine (`engine.ts`: `store.ts`,
 * `aggregate.ts`, `projection.ts`, `subscription.ts`, `ingest.ts`, `tables.ts`) is loaded with a
 * dynamic `import()` when the tab first asks for the store, so an app without event sourcing does
 * not ship it.
 *
 * What the contract makes synchronous stays so, with its checks here: the definitions of
 * aggregates and projections, a projection name declared twice in a tab, and `es.subscribe`'s
 * options and handler throw at once; `es.subscribe` attaches its `es:log` listener at once
 * ({@link LogWatch}, so `from: 'current'` is the position at the call). Every other method is
 * asynchronous and forwards once the engine is there, in call order (util/lazy.ts). A load that
 * fails (offline, no cache) rejects the calls that waited for it; the next call tries again.
 *
 * @module
 */
import { DatabaseClosedError, NoSuchTableError, WebnesiaError } from '../errors.js'
import type { Database } from '../db.js'
import { Lazy } from '../util/lazy.js'
import type { AggregateDef, DispatchOptions, DispatchResult } from './aggregate.js'
import type * as Engine from './engine.js'
import { LOG } from './names.js'
import type { ProjectionDef } from './projection.js'
import type { AppendOptions, AppendResult, Emit, NewEvent, ReadOptions, RecordedEvent, StoreEngine } from './store.js'
import type { EventHandler, SubscribeOptions } from './subscription.js'

type EngineModule = typeof Engine

function bad(message: string): WebnesiaError {
  return new WebnesiaError('badarg', message)
}

/** Calls `fn` with the loaded value at once, else once it is loaded (in call order). */
function call<T, R>(lazy: Lazy<T>, fn: (v: T) => Promise<R>): Promise<R> {
  const v = lazy.now()
  return v ? fn(v) : lazy.later(fn)
}

function report(e: unknown): void {
  if (typeof reportError === 'function') reportError(e)
  else console.error(e)
}

/** Validates subscribe options (typed errors, nothing started). */
export function checkSubscribeOptions(opts: unknown): asserts opts is SubscribeOptions {
  if (typeof opts !== 'object' || opts === null) throw bad("subscribe: options must be { from: 'origin' | 'current' | position, stream? }")
  const o = opts as Record<string, unknown>
  const from = o['from']
  if (from !== 'origin' && from !== 'current' && !(typeof from === 'number' && Number.isInteger(from) && from >= 0)) {
    throw bad(`subscribe: from is 'origin', 'current' or a position (integer >= 0), not ${String(from)}`)
  }
  const stream = o['stream']
  if (stream !== undefined && (typeof stream !== 'string' || stream.length === 0)) throw bad('subscribe: stream is a non-empty string')
  if (o['onError'] !== undefined && typeof o['onError'] !== 'function') throw bad('subscribe: onError must be a function')
  const b = o['batchSize']
  if (b !== undefined && (typeof b !== 'number' || !Number.isInteger(b) || b < 1)) throw bad('subscribe: batchSize is an integer >= 1')
}

/**
 * @internal The `es:log` listener of one subscription, attached when `subscribe` is called: it
 * remembers the first position written after the call (the start of `from: 'current'`) and wakes
 * the subscription's loop (subscription.ts) on every write.
 */
export class LogWatch {
  /** The first position written since the listener was attached. */
  firstSeen: number | undefined
  /** Whether `es:log` existed in this tab when `subscribe` was called. */
  readonly hadLog: boolean
  /** Called on each write to `es:log` (the loop sets it). */
  wake: () => void = () => undefined
  private off: (() => void) | null = null

  constructor(private readonly db: Database) {
    this.hadLog = this.attach()
  }

  /** True while listening. */
  get attached(): boolean {
    return this.off !== null
  }

  /** Listens, unless it does already; false when `es:log` does not exist in this tab yet. */
  attach(): boolean {
    if (this.off) return true
    try {
      this.off = this.db.subscribe({ table: LOG }, (ev) => {
        if (ev.type === 'write' && this.firstSeen === undefined) this.firstSeen = ev.record['seq'] as number
        this.wake()
      })
      return true
    } catch (e) {
      if (e instanceof NoSuchTableError) return false
      throw e
    }
  }

  /** Stops listening. */
  close(): void {
    this.off?.()
    this.off = null
  }
}

/**
 * The node's event store, from `db.eventStore()`. Its tables are created on first use.
 *
 * @example
 * const es = db.eventStore()
 * await es.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 'no_stream' })
 * const events = await es.read('account-1')
 */
export class EventStore {
  /** @internal The engine module and this tab's store engine. */
  readonly engine: Lazy<{ m: EngineModule; store: StoreEngine }>
  /** @internal The projections declared in this tab. */
  readonly projections: Projections
  private stopped = false
  private readonly pending = new Set<() => void>()

  /** @internal Use `db.eventStore()`. */
  constructor(
    /** @internal */ readonly db: Database,
    emit: Emit,
  ) {
    this.projections = new Projections(this)
    this.engine = new Lazy(() =>
      import('./engine.js').then((m) => {
        if (this.stopped) throw new DatabaseClosedError()
        return { m, store: new m.StoreEngine(db, emit, () => this.projections.declared()) }
      }),
    )
    this.engine.start().catch(() => undefined) // fetched now; a failure is the next call's
  }

  /** @internal The store engine, once loaded. */
  loaded(): Promise<StoreEngine> {
    return this.engine.start().then((e) => e.store)
  }

  /**
   * Appends events to a stream, atomically (all or none), after checking `expectedVersion`
   * against the stream's version on this node.
   *
   * @throws WrongExpectedVersionError (code `'wrong_expected_version'`) when the stream is not
   *   at the expected version; nothing is appended.
   * @throws WebnesiaError `'badarg'` for a bad stream, event or option; `BadRecordError` when a
   *   payload cannot be stored. Nothing is appended.
   * @example
   * const { version, position } = await es.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 0 })
   */
  append(stream: string, events: readonly NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    return call(this.engine, (e) => e.store.append(stream, events, opts))
  }

  /**
   * The events of a stream from `fromVersion` (default 1) on, in stream order: a consistent
   * snapshot of the stream on this node. An unknown stream reads as `[]`.
   *
   * @throws WebnesiaError `'badarg'` for a bad stream or version.
   * @example
   * for (const ev of await es.read('account-1', { fromVersion: 1 })) console.log(ev.version, ev.type)
   */
  read(stream: string, opts: ReadOptions = {}): Promise<RecordedEvent[]> {
    return call(this.engine, (e) => e.store.read(stream, opts))
  }

  /**
   * Calls `handler` with every event after `from` (`'origin'`: all of them; `'current'`: those
   * appended after this call; a position: those after it), in position order, once each: first
   * the events already stored (catch-up), then live ones as they are appended by this tab,
   * another tab or a peer. Only one handler call runs at a time; a handler that throws (or
   * rejects) is called again with the same event after a backoff, never skipped. Returns the
   * unsubscribe function.
   *
   * @throws WebnesiaError `'badarg'` for bad options or a handler that is not a function.
   * @example
   * const off = es.subscribe({ from: 'origin', stream: 'account-1' }, async (ev) => { console.log(ev.position, ev.type) })
   */
  subscribe(opts: SubscribeOptions, handler: EventHandler): () => void {
    this.db.systemInfo('isRunning') // throws DatabaseClosedError on a closed handle
    if (typeof handler !== 'function') throw bad('subscribe: the handler must be a function')
    checkSubscribeOptions(opts)
    const watch = new LogWatch(this.db)
    let off: (() => void) | null = null
    let gone = false
    const end = (): void => {
      gone = true
      this.pending.delete(end)
      watch.close()
      off?.()
    }
    const e = this.engine.now()
    if (e) off = e.store.subscribe(opts, handler, watch)
    else {
      this.pending.add(end)
      this.engine.later((x) => {
        this.pending.delete(end)
        if (!gone) off = x.store.subscribe(opts, handler, watch)
      }).catch((err: unknown) => {
        if (gone || err instanceof DatabaseClosedError) return
        end()
        report(err)
      })
    }
    return end
  }

  /** @internal Stops every background loop of this tab (the handle closes). */
  stop(): void {
    this.stopped = true
    for (const end of [...this.pending]) end()
    this.engine.loaded?.store.stop() // a load under way ends closed
  }
}

/** @internal The projections declared in one tab: their names (checked here) and the waiter `dispatch` uses. */
export class Projections {
  private readonly byName = new Map<string, Projection>()

  constructor(private readonly store: EventStore) {}

  /** Declares and starts a projection. */
  declare(name: string, def: ProjectionDef): Projection {
    if (typeof name !== 'string' || name.length === 0) throw bad('projection: a name is a non-empty string')
    if (typeof def !== 'object' || (def as unknown) === null || typeof def.handle !== 'function') throw bad(`projection ${name}: handle must be a function`)
    if (def.tables !== undefined && (!Array.isArray(def.tables) || !def.tables.every((t) => typeof t === 'string' && t.length > 0))) {
      throw bad(`projection ${name}: tables is an array of table names`)
    }
    for (const k of ['batchSize', 'leaseMs'] as const) {
      const v = def[k]
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) throw bad(`projection ${name}: ${k} is an integer >= 1`)
    }
    if (def.onError !== undefined && typeof def.onError !== 'function') throw bad(`projection ${name}: onError must be a function`)
    if (this.byName.has(name)) throw new WebnesiaError('already_exists', `projection ${name} is already declared in this tab`)
    const p = new Projection(this.store, name, def, () => {
      if (this.byName.get(name) === p) this.byName.delete(name)
    })
    this.byName.set(name, p)
    return p
  }

  /** Names of the projections declared in this tab. */
  declared(): string[] {
    return [...this.byName.keys()]
  }
}

/**
 * A projection declared in this tab, from `db.projection(name, def)`. It starts at once and runs
 * until the handle closes (or `stop()`).
 *
 * @example
 * const balances = db.projection('balances', {
 *   handle: async (t, ev) => {
 *     const [b] = await t.read('balance', ev.stream)
 *     await t.write('balance', { id: ev.stream, amount: ((b?.amount as number) ?? 0) + (ev.data as { amount: number }).amount })
 *   },
 * })
 * await balances.rebuild()
 */
export class Projection {
  private readonly runner: Lazy<Engine.ProjectionRunner>
  private stopped = false

  /** @internal Use `db.projection`. */
  constructor(
    store: EventStore,
    /** The projection's name (its checkpoint's key). */
    readonly name: string,
    def: ProjectionDef,
    private readonly unregister: () => void,
  ) {
    this.runner = new Lazy(() => store.engine.start().then((e) => e.store.projections.add(name, def)))
    this.runner.start().catch(() => undefined) // starts now; a failed load is tried again by the next call
  }

  /**
   * Stops running the projection in this tab and hands the lease back (another tab takes over).
   * @throws the storage error when handing the lease back fails (StorageFullError, …); not when the
   * handle is closed (the lease then simply runs out)
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.stopped = true
    this.unregister()
    return call(this.runner, (r) => r.stop()).catch((e: unknown) => {
      if (!(e instanceof DatabaseClosedError)) throw e
    })
  }

  /**
   * The position of the last event this projection handled on this node (0: none).
   * @throws DatabaseClosedError once the handle is closed
   */
  position(): Promise<number> {
    return call(this.runner, (r) => r.position())
  }

  /**
   * Clears the projection's tables and replays every event from the origin. Resolves once the
   * projection has handled every event stored when it was called (in whichever tab runs it).
   *
   * @throws WebnesiaError `'timeout'` after `timeoutMs` (default: no limit).
   * @example
   * await balances.rebuild()
   */
  rebuild(timeoutMs = Infinity): Promise<void> {
    return call(this.runner, (r) => r.rebuild(timeoutMs))
  }
}

/**
 * An event-sourced aggregate, from `db.aggregate(name, def)`.
 *
 * @example
 * const Account = db.aggregate('account', {
 *   initial: () => ({ balance: 0 }),
 *   execute: (s, cmd: { type: 'Deposit'; amount: number }) => [{ type: 'Deposited', data: { amount: cmd.amount } }],
 *   apply: (s, ev) => ({ balance: s.balance + (ev.data as { amount: number }).amount }),
 * })
 * await Account.dispatch('account-1', { type: 'Deposit', amount: 10 })
 * const { state, version } = await Account.load('account-1')
 */
export class Aggregate<S, C> {
  private readonly engine: Lazy<Engine.AggregateEngine<S, C>>

  /** @internal Use `db.aggregate`. */
  constructor(
    store: EventStore,
    /** The aggregate's name: its streams are `<name>-<id>`. */
    readonly name: string,
    def: AggregateDef<S, C>,
  ) {
    if (typeof name !== 'string' || name.length === 0) throw bad('aggregate: a name is a non-empty string')
    if (typeof def !== 'object' || (def as unknown) === null) throw bad('aggregate: the definition must be an object')
    for (const f of ['initial', 'execute', 'apply'] as const) {
      if (typeof def[f] !== 'function') throw bad(`aggregate ${name}: ${f} must be a function`)
    }
    const every = def.snapshotEvery
    if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw bad(`aggregate ${name}: snapshotEvery is an integer >= 1`)
    if (!Number.isInteger(def.snapshotVersion ?? 1)) throw bad(`aggregate ${name}: snapshotVersion is an integer`)
    this.engine = new Lazy(() => store.engine.start().then((e) => new e.m.AggregateEngine<S, C>(e.store, e.store.projections, name, def)))
  }

  /**
   * The current state of aggregate `id` and its version (0: no events).
   *
   * @throws WebnesiaError `'badarg'` for a bad id; whatever `initial` or `apply` throws.
   */
  load(id: string): Promise<{ state: S; version: number }> {
    return call(this.engine, (a) => a.load(id))
  }

  /** @internal Load with or without snapshots (the property test compares both). */
  loadFull(id: string, useSnapshot = true): Promise<{ state: S; version: number }> {
    return call(this.engine, (a) => a.loadFull(id, useSnapshot))
  }

  /**
   * Runs a command against aggregate `id` and appends the events it produces.
   *
   * @throws whatever `execute` throws (the command is refused; nothing is appended).
   * @throws TooManyAttemptsError when the stream moved under each of 10 attempts.
   * @throws WebnesiaError `'badarg'` for a bad id, options or events; `'timeout'` when the
   *   projections waited for did not catch up in time (the events are appended).
   * @example
   * const { version, events } = await Account.dispatch('account-1', { type: 'Deposit', amount: 10 }, { consistency: ['balances'] })
   */
  dispatch(id: string, command: C, opts: DispatchOptions = {}): Promise<DispatchResult> {
    return call(this.engine, (a) => a.dispatch(id, command, opts))
  }
}
