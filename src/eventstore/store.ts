/**
 * The event store (API.md, "Event store, aggregates and projections"): streams of events in the
 * node's own tables (`tables.ts` draws them), appended atomically with optimistic concurrency on
 * the stream version, read by stream or by position, and subscribed to (`subscription.ts`).
 *
 * **Within a node appends are serializable.** One `db.transaction` reads the stream head, checks
 * `expectedVersion` exactly, takes the next positions (the last key of `es:log`) and writes the
 * events, their versions, their positions and the new head: two tabs appending at once conflict
 * on those reads and one of them runs again against the new head (and fails its
 * `expectedVersion`, or appends after the other). Every append of the node takes the next
 * positions, so appends of one node are serial (EventStoreDB's `$all` is too); transactions
 * grouped in one IndexedDB commit still share it.
 *
 * **Across nodes `expectedVersion` cannot be exact.** Two nodes apart both accept an append at
 * version 3. After the heal both events are kept, every node orders the stream the same way
 * (key order: Lamport number, then node id), versions are renumbered to that order, and the
 * system event `stream_conflict` names the stream on every node where the order broke
 * (`ingest.ts`). Streams that must be serial cluster-wide belong in primary tables (seed 002): a
 * single node commits every append.
 *
 * @module
 */
import { TransactionAbortedError, WebnesiaError, WrongExpectedVersionError } from '../errors.js'
import type { Database } from '../db.js'
import type { SystemEvent } from '../events/subscriptions.js'
import type { Transaction } from '../txn/transaction.js'
import { Ingest } from './ingest.js'
import type { LogWatch } from './api.js'
import { ProjectionRunners } from './projection.js'
import { CatchUp, type SubscribeOptions, type EventHandler } from './subscription.js'
import { EVENT, LOG, STREAM, VERSION, ensureTables, sameId, type EventId, type EventRow, type LogRow, type StreamRow, type VersionRow } from './tables.js'

/** An event to append. */
export interface NewEvent {
  /** The event's type, e.g. `'Deposited'`. */
  type: string
  /** Its payload: any value a record may hold (default null). */
  data?: unknown
  /** Metadata: correlation ids, user, … (default `{}`). */
  meta?: unknown
}

/** An event as stored. `version` is its place in the stream, `position` its place on this node. */
export interface RecordedEvent {
  /** The stream it belongs to. */
  stream: string
  /** Its place in the stream: 1, 2, 3, … with no gap. */
  version: number
  /** Its place in this node's log of all streams (increasing; order of `read` from a position). */
  position: number
  /** The event's type, as the appender named it. */
  type: string
  /** The event's payload (any structured-cloneable value). */
  data: unknown
  /** Metadata given at append (`{}` when none). */
  meta: unknown
  /** When it was appended (ms since the epoch, the appending node's clock). */
  at: number
  /** The node that appended it. */
  node: string
}

/**
 * What an append expects of the stream: its exact version (0 = empty), `'no_stream'` (empty),
 * `'stream_exists'` (at least one event) or `'any'`.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any'

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /** Default `'any'`. */
  expectedVersion?: ExpectedVersion
}

/** What {@link EventStore.append} resolves with: the stream's new version, the last event's position. */
export interface AppendResult {
  /** The stream's version after the append (the last appended event's version). */
  version: number
  /** The position of the last appended event. */
  position: number
}

/** Options of {@link EventStore.read}. */
export interface ReadOptions {
  /** The first version to read (default 1). */
  fromVersion?: number
  /** At most this many events (default: all). */
  limit?: number
}

const EVENT_KEYS = new Set(['type', 'data', 'meta'])

/** Per-realm queues of {@link EventStore.serial}. */
const queues = new Map<string, Promise<unknown>>()

/** How long a tab waits for another tab's aggregate lock before going on optimistically. */
export const LOCK_WAIT_MS = 2000

interface LockManagerLike {
  request<T>(name: string, options: { signal: AbortSignal }, fn: () => Promise<T>): Promise<T>
}

/** Runs `fn` holding Web Lock `name` when the platform has Web Locks (waiting at most LOCK_WAIT_MS). */
async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks
  if (!locks) return fn()
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), LOCK_WAIT_MS)
  let started = false
  try {
    return await locks.request(name, { signal: ac.signal }, () => {
      started = true
      clearTimeout(timer)
      return fn()
    })
  } catch (e) {
    if (!started && ac.signal.aborted) return fn()
    throw e
  } finally {
    clearTimeout(timer)
  }
}

function bad(message: string): WebnesiaError {
  return new WebnesiaError('badarg', message)
}

/** Checks a stream name (typed error, nothing written). */
export function checkStream(stream: unknown, where: string): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0) throw bad(`${where}: a stream is a non-empty string`)
}

function checkEvents(events: unknown): asserts events is readonly NewEvent[] {
  if (!Array.isArray(events)) throw bad('append: events must be an array')
  for (const e of events as unknown[]) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad('append: each event is an object { type, data?, meta? }')
    const o = e as Record<string, unknown>
    if (typeof o['type'] !== 'string' || o['type'].length === 0) throw bad('append: an event type is a non-empty string')
    for (const k of Object.keys(o)) if (!EVENT_KEYS.has(k)) throw bad(`append: unknown event property ${k}`)
  }
}

function checkExpected(v: unknown): asserts v is ExpectedVersion {
  if (v === 'any' || v === 'no_stream' || v === 'stream_exists') return
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw bad(`append: expectedVersion is a version (integer >= 0), 'no_stream', 'stream_exists' or 'any', not ${String(v)}`)
  }
}

/** The public form of a stored event. */
export function recorded(ev: EventRow, version: number, position: number): RecordedEvent {
  return { stream: ev.id[0], version, position, type: ev.type, data: ev.data, meta: ev.meta, at: ev.at, node: ev.id[2] }
}

/** A system event sink (the tab's system subscribers). */
export type Emit = (ev: SystemEvent) => void

/**
 * The node's event store engine behind the public `EventStore` (api.ts, which checks the
 * synchronous calls' arguments). Its tables are created on first use.
 */
export class StoreEngine {
  private readyP: Promise<void> | null = null
  private readonly ingest: Ingest
  private readonly subs = new Set<CatchUp>()
  private readonly stops = new Set<() => void>()
  private stopped = false
  /** @internal The projections declared in this tab. */
  readonly projections: ProjectionRunners

  /** @param declared names of the projections declared in this tab (api.ts keeps them) */
  constructor(
    /** @internal */ readonly db: Database,
    emit: Emit,
    declared: () => string[],
  ) {
    this.ingest = new Ingest(db, emit)
    this.projections = new ProjectionRunners(this, declared)
  }

  /** @internal Resolves once the tables exist and peer arrivals are being ingested in this tab. */
  ready(): Promise<void> {
    this.readyP ??= (async () => {
      await ensureTables(this.db)
      if (this.stopped) return
      await this.ingest.start()
    })()
    return this.readyP
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
  async append(stream: string, events: readonly NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    const r = await this.appendRecorded(stream, events, opts)
    return { version: r.version, position: r.position }
  }

  /** @internal Append, resolving with the recorded events too (aggregates fold them). */
  async appendRecorded(stream: string, events: readonly NewEvent[], opts: AppendOptions = {}): Promise<AppendResult & { events: RecordedEvent[]; ids: EventId[] }> {
    checkStream(stream, 'append')
    checkEvents(events)
    if (typeof opts !== 'object' || (opts as unknown) === null) throw bad('append: options must be an object')
    const expected = opts.expectedVersion ?? 'any'
    checkExpected(expected)
    await this.ready()
    const at = Date.now()
    const node = this.db.node
    try {
      return await this.db.transaction((t) => appendIn(t, stream, events, expected, node, at))
    } catch (e) {
      // Nothing committed: hand out the operation's own typed error (wrong version, bad record).
      if (e instanceof TransactionAbortedError && e.reason instanceof WebnesiaError) throw e.reason
      throw e
    }
  }

  /**
   * The events of a stream from `fromVersion` (default 1) on, in stream order: a consistent
   * snapshot of the stream on this node. An unknown stream reads as `[]`.
   *
   * @throws WebnesiaError `'badarg'` for a bad stream or version.
   * @example
   * for (const ev of await es.read('account-1', { fromVersion: 1 })) console.log(ev.version, ev.type)
   */
  async read(stream: string, opts: ReadOptions = {}): Promise<RecordedEvent[]> {
    checkStream(stream, 'read')
    if (typeof opts !== 'object' || (opts as unknown) === null) throw bad('read: options must be an object')
    const from = opts.fromVersion ?? 1
    if (!Number.isInteger(from) || from < 1) throw bad(`read: fromVersion is an integer >= 1, not ${String(from)}`)
    const limit = opts.limit ?? Infinity
    if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) throw bad(`read: limit is an integer >= 0, not ${String(limit)}`)
    await this.ready()
    return this.db.transaction((t) => readIn(t, stream, from, limit))
  }

  /**
   * @internal Up to `n` events after `position`, in position order (one consistent read), and
   * the last position looked at (a stream filter skips the others).
   */
  async readFrom(position: number, n: number, stream?: string): Promise<{ events: RecordedEvent[]; scanned: number }> {
    await this.ready()
    return this.db.transaction(async (t) => {
      const events: RecordedEvent[] = []
      let seq = position + 1
      for (; events.length < n; seq++) {
        const [row] = await t.read<LogRow & Record<string, unknown>>(LOG, seq)
        if (!row) break
        if (stream !== undefined && row.id[0] !== stream) continue
        const [ev] = await t.read<EventRow & Record<string, unknown>>(EVENT, row.id)
        if (ev) events.push(recorded(ev, row.v, seq))
      }
      return { events, scanned: seq - 1 }
    })
  }

  /** @internal The last position on this node (0 when empty). */
  async headPosition(): Promise<number> {
    await this.ready()
    return ((await this.db.transaction((t) => t.last(LOG))) as number | undefined) ?? 0
  }

  /** Starts a checked subscription (api.ts attached `watch` at the call); returns its stop. */
  subscribe(opts: SubscribeOptions, handler: EventHandler, watch: LogWatch): () => void {
    const sub = new CatchUp(this, opts, handler, watch)
    this.subs.add(sub)
    sub.start()
    return () => {
      this.subs.delete(sub)
      sub.stop()
    }
  }

  /**
   * @internal Runs `fn` after every earlier call with the same key on this node has settled, as
   * far as the tab can tell: in order within the tab (and the JS realm: two handles of one name
   * are two tabs), and under a Web Lock across tabs where the browser has them. Commanded runs
   * one aggregate's commands one at a time in its process; the optimistic retry is then for other
   * nodes, not for the node's own tabs. The lock is an optimisation only: a tab waits for it at
   * most {@link LOCK_WAIT_MS} (a frozen tab holding it cannot stall the node) and then goes on
   * without it, which is still correct (the append checks the version).
   */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${this.db.name}\u0000${key}`
    const prev = queues.get(k) ?? Promise.resolve()
    const locked = (): Promise<T> => withLock(`webnesia:${this.db.name}:es:${key}`, fn)
    const run = prev.then(locked, locked)
    const tail = run.then(
      () => undefined,
      () => undefined,
    )
    queues.set(k, tail)
    void tail.then(() => {
      if (queues.get(k) === tail) queues.delete(k)
    })
    return run
  }

  /** @internal Registers a background task to stop with the store. */
  onStop(fn: () => void): () => void {
    this.stops.add(fn)
    return () => this.stops.delete(fn)
  }

  /** @internal Stops every background loop of this tab (the handle closes). */
  stop(): void {
    this.stopped = true
    this.ingest.stop()
    for (const s of this.subs) s.stop()
    this.subs.clear()
    for (const f of [...this.stops]) f()
    this.stops.clear()
  }
}

/** The append itself, inside a transaction (see the module notes). */
async function appendIn(
  t: Transaction,
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedVersion,
  node: string,
  at: number,
): Promise<AppendResult & { events: RecordedEvent[]; ids: EventId[] }> {
  const [head] = await t.read<StreamRow & Record<string, unknown>>(STREAM, stream)
  const cur = head?.version ?? 0
  if (expected === 'no_stream' && cur !== 0) throw new WrongExpectedVersionError(stream, expected, cur)
  if (expected === 'stream_exists' && cur === 0) throw new WrongExpectedVersionError(stream, expected, cur)
  if (typeof expected === 'number' && expected !== cur) throw new WrongExpectedVersionError(stream, expected, cur)
  if (events.length === 0) {
    const [row] = cur > 0 ? await t.read<VersionRow & Record<string, unknown>>(VERSION, [stream, cur]) : []
    return { version: cur, position: row?.seq ?? 0, events: [], ids: [] }
  }
  const lastSeq = ((await t.last(LOG)) as number | undefined) ?? 0
  let lamport = head?.last ? head.last[1] : 0
  let prev: EventId | null = head?.last ?? null
  const out: RecordedEvent[] = []
  const ids: EventId[] = []
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as NewEvent
    const id: EventId = [stream, ++lamport, node]
    const v = cur + i + 1
    const seq = lastSeq + i + 1
    const row: EventRow = { id, type: e.type, data: e.data ?? null, meta: e.meta ?? {}, at, prev }
    await t.write(EVENT, row as unknown as Record<string, unknown>)
    await t.write(VERSION, { sv: [stream, v], id, seq })
    await t.write(LOG, { seq, id, v })
    out.push(recorded(row, v, seq))
    ids.push(id)
    prev = id
  }
  const next: StreamRow = { stream, version: cur + events.length, last: prev, conflicts: head?.conflicts ?? 0, conflictAt: head?.conflictAt ?? 0 }
  await t.write(STREAM, next as unknown as Record<string, unknown>)
  return { version: next.version, position: lastSeq + events.length, events: out, ids }
}

/**
 * Reads a stream from version `from`, inside a transaction. From the start, two range scans of
 * the key prefix `[stream]` (versions, events; both in stream order) zipped; from a later version,
 * consecutive lookups of `[stream, v]`.
 */
export async function readIn(t: Transaction, stream: string, from: number, limit: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  if (from === 1 && limit === Infinity) {
    const rows = await t.matchObject<VersionRow & Record<string, unknown>>(VERSION, { sv: [stream, '_'] })
    const evs = await t.matchObject<EventRow & Record<string, unknown>>(EVENT, { id: [stream, '_', '_'] })
    let j = 0
    for (const row of rows) {
      // Events not ingested yet (a peer's, a moment ago) are in es:event but have no version.
      while (j < evs.length && !sameId((evs[j] as EventRow).id, row.id)) j++
      const ev = evs[j]
      if (!ev) break
      out.push(recorded(ev, row.sv[1], row.seq))
      j++
    }
    return out
  }
  for (let v = from; out.length < limit; v++) {
    const [row] = await t.read<VersionRow & Record<string, unknown>>(VERSION, [stream, v])
    if (!row) break
    const [ev] = await t.read<EventRow & Record<string, unknown>>(EVENT, row.id)
    if (!ev) break
    out.push(recorded(ev, v, row.seq))
  }
  return out
}
