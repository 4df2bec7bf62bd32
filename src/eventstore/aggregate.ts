/**
 * Aggregates (Commanded's `Commanded.Aggregate`): `execute(state, command)` decides which events
 * a command produces (or throws to refuse it), `apply(state, event)` folds an event into the
 * state. The aggregate `id` is its stream.
 *
 * `dispatch(id, cmd)` (one at a time per aggregate id in a tab, as Commanded's aggregate process
 * runs them) loads the state (latest valid snapshot + the events after it), runs
 * `execute`, and appends the events with `expectedVersion` = the version it loaded. When another
 * tab appended to the stream meanwhile, the append fails with `WrongExpectedVersionError` and the
 * command runs again on the new state: up to 10 attempts (Commanded's default), then
 * `TooManyAttemptsError`. A command that produced no events appends nothing.
 *
 * **Snapshots** (`snapshotEvery: n`) are an optimisation only. After a dispatch whose events
 * cross a multiple of n, the state is saved with its version and the id of its last event
 * (`es:snapshot`, local to the node). `load` uses a snapshot only if `es:version` still holds that
 * id at that version: a late event from a peer that sorted before it shifts the versions and
 * makes the snapshot stale, and the state is folded from the start instead. Changing `apply`
 * needs a new `snapshotVersion`, which ignores older snapshots. The state read from a snapshot is
 * a fresh copy, so an `apply` that mutates its state behaves the same with or without snapshots.
 *
 * **Consistency** (Commanded's `consistency: :strong`): `dispatch(id, cmd, { consistency:
 * 'strong' })` resolves only once every projection declared in this tab has handled the events;
 * `{ consistency: ['balances'] }` waits for the projections named (run by any tab of the node).
 * After `timeoutMs` (default 5 s) it rejects with a `'timeout'` error; the events are appended.
 *
 * @module
 */
import { TooManyAttemptsError, WebnesiaError, WrongExpectedVersionError } from '../errors.js'
import type { Database } from '../db.js'
import { backoffMs, delay } from './signal.js'
import { checkStream, readIn, type NewEvent, type RecordedEvent, type StoreEngine } from './store.js'
import { SNAPSHOT, VERSION, sameId, type EventId, type SnapshotRow, type VersionRow } from './tables.js'

/** The definition of an aggregate. */
export interface AggregateDef<S, C> {
  /** The state of a stream with no events. */
  initial: () => S
  /** The events a command produces (an array, one event, or nothing); throw to refuse it. */
  execute: (state: S, command: C) => readonly NewEvent[] | NewEvent | undefined | Promise<readonly NewEvent[] | NewEvent | undefined>
  /** Folds one event into the state (must be pure). */
  apply: (state: S, event: RecordedEvent) => S
  /** Save a snapshot every this many events (default: never). */
  snapshotEvery?: number
  /** Snapshots saved under another number are ignored (bump it when `apply` changes). Default 1. */
  snapshotVersion?: number
}

/** How long `dispatch` waits, and for which projections. */
export interface DispatchOptions {
  /** `'eventual'` (default), `'strong'` (every projection declared in this tab), or projection names. */
  consistency?: 'eventual' | 'strong' | readonly string[]
  /** How long to wait for the projections (default 5000 ms). */
  timeoutMs?: number
}

/** What `dispatch` resolves with: the stream's new version and the events the command appended. */
export interface DispatchResult {
  /** The stream's version after the command (unchanged when it appended nothing). */
  version: number
  /** The events the command appended, as stored (empty when `execute` returned none). */
  events: RecordedEvent[]
}

/** Commanded's default number of attempts. */
export const ATTEMPTS = 10

/** Something `dispatch` can wait for (the projections, `projection.ts`). */
export interface ConsistencyWaiter {
  /** Names of the projections declared in this tab. */
  declared(): string[]
  /** Resolves when each named projection has handled `position` (rejects on timeout). */
  waitFor(names: readonly string[], position: number, timeoutMs: number): Promise<void>
}

/**
 * The engine of an event-sourced aggregate, behind the public `Aggregate` (api.ts, which checks
 * the definition).
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
export class AggregateEngine<S, C> {
  private readonly every: number | undefined
  private readonly schema: number

  constructor(
    private readonly store: StoreEngine,
    private readonly waiter: ConsistencyWaiter,
    /** The aggregate's name: its streams are `<name>-<id>`. */
    readonly name: string,
    private readonly def: AggregateDef<S, C>,
  ) {
    this.every = def.snapshotEvery
    this.schema = def.snapshotVersion ?? 1
  }

  private get db(): Database {
    return this.store.db
  }

  /**
   * The current state of aggregate `id` and its version (0: no events).
   *
   * @throws WebnesiaError `'badarg'` for a bad id; whatever `initial` or `apply` throws.
   */
  async load(id: string): Promise<{ state: S; version: number }> {
    checkStream(id, 'load')
    const { state, version } = await this.loadFull(id)
    return { state, version }
  }

  /** @internal Load with or without snapshots (the property test compares both). */
  async loadFull(id: string, useSnapshot = true): Promise<{ state: S; version: number }> {
    await this.store.ready()
    const { snap, events } = await this.db.transaction(async (t) => {
      let snap: SnapshotRow | undefined
      if (useSnapshot && this.every !== undefined) {
        const [s] = await t.read<SnapshotRow & Record<string, unknown>>(SNAPSHOT, [this.name, id])
        if (s && s.schema === this.schema) {
          const [row] = await t.read<VersionRow & Record<string, unknown>>(VERSION, [id, s.version])
          if (row && sameId(row.id, s.last)) snap = s
        }
      }
      return { snap, events: await readIn(t, id, (snap?.version ?? 0) + 1, Infinity) }
    })
    let state = snap ? (structuredClone(snap.state) as S) : this.def.initial()
    for (const ev of events) state = this.def.apply(state, ev)
    return { state, version: events.length > 0 ? (events[events.length - 1] as RecordedEvent).version : (snap?.version ?? 0) }
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
  async dispatch(id: string, command: C, opts: DispatchOptions = {}): Promise<DispatchResult> {
    checkStream(id, 'dispatch')
    const wait = this.consistencyOf(opts)
    const r = await this.store.serial(`${this.name}\u0000${id}`, () => this.attempt(id, command))
    const last = r.events[r.events.length - 1]
    if (wait && last) await this.waiter.waitFor(wait.names, last.position, wait.timeoutMs)
    return r
  }

  private async attempt(id: string, command: C): Promise<DispatchResult> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { state, version } = await this.loadFull(id)
      const out = await this.def.execute(state, command)
      const events: readonly NewEvent[] = out === undefined ? [] : Array.isArray(out) ? (out as readonly NewEvent[]) : [out as NewEvent]
      if (events.length === 0) return { version, events: [] }
      let r: Awaited<ReturnType<StoreEngine['appendRecorded']>>
      try {
        r = await this.store.appendRecorded(id, events, { expectedVersion: version === 0 ? 'no_stream' : version })
      } catch (e) {
        if (!(e instanceof WrongExpectedVersionError)) throw e
        if (attempt === ATTEMPTS) throw new TooManyAttemptsError(this.name, id, ATTEMPTS, { cause: e })
        await delay(backoffMs(attempt - 1, 50))
        continue
      }
      await this.maybeSnapshot(id, version, state, r.events, r.ids[r.ids.length - 1])
      return { version: r.version, events: r.events }
    }
    throw new TooManyAttemptsError(this.name, id, ATTEMPTS)
  }

  private consistencyOf(opts: DispatchOptions): { names: readonly string[]; timeoutMs: number } | null {
    if (typeof opts !== 'object' || (opts as unknown) === null) throw new WebnesiaError('badarg', 'dispatch: options must be an object')
    const c = opts.consistency ?? 'eventual'
    const timeoutMs = opts.timeoutMs ?? 5000
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new WebnesiaError('badarg', 'dispatch: timeoutMs is a number >= 0')
    if (c === 'eventual') return null
    if (c === 'strong') return { names: this.waiter.declared(), timeoutMs }
    if (Array.isArray(c) && c.every((n) => typeof n === 'string' && n.length > 0)) return { names: c, timeoutMs }
    throw new WebnesiaError('badarg', "dispatch: consistency is 'eventual', 'strong' or an array of projection names")
  }

  private async maybeSnapshot(id: string, from: number, state: S, events: readonly RecordedEvent[], lastId: EventId | undefined): Promise<void> {
    const every = this.every
    const last = events[events.length - 1]
    if (every === undefined || !last || !lastId || Math.floor(last.version / every) === Math.floor(from / every)) return
    let s = state
    for (const ev of events) s = this.def.apply(s, ev)
    const snap: SnapshotRow = { key: [this.name, id], version: last.version, last: lastId, state: s, schema: this.schema }
    try {
      await this.db.dirtyWrite(SNAPSHOT, snap as unknown as Record<string, unknown>)
    } catch (e) {
      // An optimisation only: a state that cannot be stored just means no snapshot.
      if (typeof reportError === 'function') reportError(e)
      else console.error(e)
    }
  }
}
