/**
 * Ingest: making events that arrived from peers part of this node's store.
 *
 * The replicator writes a peer's events into `es:event` like any table's records (origin
 * `'peer'`); it knows nothing of streams. Every tab that uses the event store listens to those
 * writes and ingests the new ids in one transaction: each gets this node's next position
 * (`es:log`) and its version, its rank in the stream's key order (`es:version`), and the stream
 * head moves. Tabs race to do it; the transaction reads what it changes, so a second tab conflicts,
 * runs again and finds the ids ingested. A tab that opens the store (or sees `es:event` created
 * again by the replicator) first reconciles: when `es:event` holds more events than `es:log`, it
 * ingests what is missing, so an event that arrived while no tab listened (or across a crash) is
 * never lost.
 *
 * **Conflicts.** Every event records the id it was appended after (`prev`). In a history without
 * concurrent appends each event's `prev` is its predecessor in stream order. An arriving event
 * breaks that when it sorts before events already here (then the versions after it shift by
 * one: the late event takes its place in the order, which is the same on every node) or when its
 * predecessor here is not its `prev` (another node's event came between). Either way the stream
 * head counts a conflict, and every tab of the node using the store raises the system event
 * `{ type: 'stream_conflict', stream, version }` (`version`: the first version affected). Both
 * sides of a partition raise it after the heal: one sees the late event land before its own,
 * the other sees its own event's `prev` overtaken.
 *
 * @module
 */
import { DatabaseClosedError } from '../errors.js'
import type { Database } from '../db.js'
import { compareKeys } from '../storage/term.js'
import type { Transaction } from '../txn/transaction.js'
import { backoffMs, delay } from './signal.js'
import type { Emit } from './store.js'
import { EVENT, LOG, STREAM, VERSION, sameId, type EventId, type EventRow, type StreamRow, type VersionRow } from './tables.js'

type R<T> = T & Record<string, unknown>

/** How many ids one ingest transaction takes. */
const CHUNK = 500

/** Ingests `ids` (sorted by key) inside a transaction. Ids already ingested are skipped. */
export async function ingestIn(t: Transaction, ids: readonly EventId[]): Promise<number> {
  let lastSeq = ((await t.last(LOG)) as number | undefined) ?? 0
  const heads = new Map<string, StreamRow>()
  const conflicted = new Set<string>()
  let done = 0
  for (const id of ids) {
    const [ev] = await t.read<R<EventRow>>(EVENT, id)
    if (!ev) continue
    const stream = id[0]
    const head: StreamRow = heads.get(stream) ?? { ...((await t.read<R<StreamRow>>(STREAM, stream))[0] ?? { stream, version: 0, last: null, conflicts: 0, conflictAt: 0 }) }
    const n = head.version
    let rank: number
    if (head.last === null || compareKeys(id, head.last) > 0) {
      rank = n
    } else if (sameId(id, head.last)) {
      continue
    } else {
      // Versions 1..n are in key order: find the first whose id is >= id.
      let lo = 1
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        const [row] = await t.read<R<VersionRow>>(VERSION, [stream, mid])
        if (row && compareKeys(row.id, id) < 0) lo = mid + 1
        else hi = mid
      }
      const [at] = await t.read<R<VersionRow>>(VERSION, [stream, lo])
      if (at && sameId(at.id, id)) continue
      rank = lo - 1
    }
    const version = rank + 1
    let conflict = false
    if (rank < n) {
      conflict = true
      for (let k = n; k >= version; k--) {
        const [row] = await t.read<R<VersionRow>>(VERSION, [stream, k])
        if (!row) continue
        await t.write(VERSION, { sv: [stream, k + 1], id: row.id, seq: row.seq })
        await t.write(LOG, { seq: row.seq, id: row.id, v: k + 1 })
      }
    }
    const pred = rank === 0 ? null : rank === n ? head.last : ((await t.read<R<VersionRow>>(VERSION, [stream, rank]))[0]?.id ?? null)
    if (!sameId(pred, ev.prev)) conflict = true
    const seq = ++lastSeq
    await t.write(VERSION, { sv: [stream, version], id, seq })
    await t.write(LOG, { seq, id, v: version })
    head.version = n + 1
    if (rank === n) head.last = id
    if (conflict) {
      // One conflict per stream and transaction, at the first version any arrival affected.
      if (conflicted.has(stream)) {
        head.conflictAt = Math.min(head.conflictAt, version)
      } else {
        conflicted.add(stream)
        head.conflicts++
        head.conflictAt = version
      }
    }
    heads.set(stream, head)
    done++
  }
  for (const head of heads.values()) await t.write(STREAM, head as unknown as Record<string, unknown>)
  return done
}

/** One tab's ingest of peer events, and its `stream_conflict` events. */
export class Ingest {
  private offs: (() => void)[] = []
  private pending: EventId[] = []
  private scheduled = false
  private chain: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly db: Database,
    private readonly emit: Emit,
  ) {}

  /** Starts listening and reconciles what arrived while nobody listened. */
  async start(): Promise<void> {
    this.offs.push(
      this.db.subscribe('system', (ev) => {
        if (ev.type === 'table_created' && ev.table === EVENT) {
          // The replicator took the cluster's incarnation of the table: listen to it, and ingest
          // what it brought.
          this.listenEvents()
          this.run(() => this.reconcile())
        }
      }),
      this.db.subscribe({ table: STREAM, detail: 'detailed' }, (ev) => {
        if (ev.type !== 'write') return
        const row = ev.record as R<StreamRow>
        const old = ev.old[0] as R<StreamRow> | undefined
        if (row.conflicts > (old?.conflicts ?? 0)) this.emit({ type: 'stream_conflict', stream: row.stream, version: row.conflictAt })
      }),
    )
    this.listenEvents()
    await this.reconcile()
  }

  stop(): void {
    this.stopped = true
    for (const off of this.offs.splice(0)) off()
    this.offEvents?.()
  }

  private offEvents: (() => void) | null = null

  private listenEvents(): void {
    this.offEvents?.()
    this.offEvents = this.db.subscribe({ table: EVENT }, (ev) => {
      if (ev.type !== 'write' || ev.origin !== 'peer') return
      this.pending.push((ev.record as R<EventRow>).id)
      if (this.scheduled) return
      this.scheduled = true
      setTimeout(() => {
        this.scheduled = false
        const ids = this.pending.splice(0)
        this.run(() => this.ingest(ids))
      }, 0)
    })
  }

  /** Runs ingest work one job at a time, retried with backoff until it succeeds. */
  private run(job: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await job()
          return
        } catch (e) {
          if (e instanceof DatabaseClosedError) return
          if (attempt === 0) report(e)
          await delay(backoffMs(attempt))
        }
      }
    })
  }

  /** Ingests ids (any order, duplicates fine). */
  async ingest(ids: EventId[]): Promise<void> {
    const sorted = [...ids].sort(compareKeys)
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const chunk = sorted.slice(i, i + CHUNK)
      await this.db.transaction((t) => ingestIn(t, chunk))
    }
  }

  /** Ingests every event of `es:event` that `es:log` lacks. */
  async reconcile(): Promise<void> {
    // Catch up with every commit announced so far: the listeners report only later ones.
    await this.db.transaction(() => undefined)
    const events = this.db.tableInfo(EVENT, 'size') as number
    const logged = this.db.tableInfo(LOG, 'size') as number
    if (events <= logged) return
    const keys = (await this.db.dirtyAllKeys(EVENT)) as EventId[]
    const missing: EventId[] = []
    for (let i = 0; i < keys.length; ) {
      const stream = (keys[i] as EventId)[0]
      let j = i
      while (j < keys.length && (keys[j] as EventId)[0] === stream) j++
      const [head] = await this.db.dirtyRead<R<StreamRow>>(STREAM, stream)
      if ((head?.version ?? 0) < j - i) missing.push(...keys.slice(i, j))
      i = j
    }
    await this.ingest(missing)
  }
}

function report(e: unknown): void {
  if (typeof reportError === 'function') reportError(e)
  else console.error(e)
}
