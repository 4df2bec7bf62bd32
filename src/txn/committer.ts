/**
 * The commit path (Mnesia's mnesia_tm commit, mnesia_locker's role taken by validation).
 *
 * Every change of the node — transaction, dirty operation, counter — is a {@link CommitRequest}.
 * Requests queue here; whatever is queued when the previous IndexedDB commit finishes goes into
 * the next one together (group commit). One commit is ONE readwrite IndexedDB transaction,
 * durability 'strict', over `log` and the disc_only_copies stores involved (disc_copies stores
 * catch up with the log later, many commits at a time: log/dumper.ts):
 *
 *   1. catch up: apply the log entries other tabs committed since this tab's `applied` LSN
 *      (IndexedDB serializes overlapping readwrite transactions across tabs, so after this step
 *      memory is exactly the node's latest state);
 *   2. for each request in order: validate its read set against memory and the requests accepted
 *      before it in this group; resolve its intents into each key's new records; give it an LSN;
 *   3. write the disc_only_copies stores, and `add` one log record holding the group's entries
 *      under its first LSN (a key another tab's racing commit would take first: the add then fails);
 *   4. on `complete`: apply the entries to memory (events fire), resolve the requests, and tell the
 *      other tabs "LSN n is there". On failure nothing was applied: memory still equals disc.
 *
 * A commit whose outcome is unknown (the connection died around `complete`) is looked up by its
 * commit id in the log, so a landed commit is acknowledged and never applied twice.
 *
 * @module
 */
import type { BackendTx } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { DatabaseClosedError, NoSuchTableError, mapStorageError } from '../errors.js'
import { LOG } from '../log/connection.js'
import type { Appended } from '../log/append.js'
import { readLog, type LogEntry, type LogOp, type PutOp } from '../log/entry.js'
import { GapError, type LocalNode } from '../node.js'
import type { TableRuntime } from '../schema/catalog.js'
import { storeName } from '../schema/table-def.js'
import { keyRange, writeChange } from '../storage/idb-table.js'
import { adoptRecord, applyIntent, type Intent, type Rec } from '../storage/record.js'
import { canonical, KeyMap, type Key } from '../storage/term.js'
import { resolveIncrement, type Increment } from './counter.js'
import type { ReadSet, WriteSet } from './write-set.js'

/** A change to commit. `reads` is null for dirty operations (no validation). */
export interface CommitRequest {
  readonly reads: ReadSet | null
  readonly writes: WriteSet
  /** Set for a change received from a peer: its records are resolved at commit time. */
  readonly peer?: PeerChange
  /** Called with the request's LSN just before its entry is applied to memory (txn/attempts.ts). */
  readonly onApply?: (lsn: number) => void
}

/**
 * A change from a peer (replication): which keys changed, and a way to read their records as
 * the replication document holds them NOW. The records are read inside the commit, after the
 * catch-up, so a local commit that overtook the remote one is never undone on disc while the
 * document keeps it (the document and the tables agree after every commit).
 */
export interface PeerChange {
  /** The node the change came from (`LogEntry.peer`). */
  readonly node: string
  /** Changed keys by table. */
  readonly keys: ReadonlyMap<string, readonly Key[]>
  /** The key's records in the document now, validated; undefined: leave the key alone. */
  target(table: string, key: Key): readonly Rec[] | undefined
}

/** What a committed request learns. */
export interface CommitResult {
  readonly lsn: number
  /** New value of each counter updated, in intent order. */
  readonly counters: number[]
}

interface Pending {
  req: CommitRequest
  resolve: (r: CommitResult | 'conflict') => void
  reject: (e: unknown) => void
}

type Tx = BackendTx

/** A speculative flush found that another tab committed first: redo it without speculating. */
class SpeculationFailed extends Error {}

/** Thrown inside a flush to drop one request without failing the group. */
class RequestError extends Error {
  constructor(readonly inner: unknown) {
    super('request failed')
  }
}

/** Keys touched by the requests accepted so far in one group (or by one request). */
class Overlay {
  private readonly keys = new Map<string, KeyMap<readonly Rec[]>>()
  private readonly cleared = new Set<string>()
  private readonly actions: ([string] | [string, Key, readonly Rec[]])[] = []
  readonly touched = new Set<string>()

  get(t: string, key: Key): readonly Rec[] | undefined {
    const v = this.keys.get(t)?.get(key)
    if (v !== undefined) return v
    return this.cleared.has(t) ? [] : undefined
  }
  set(t: string, key: Key, recs: readonly Rec[]): void {
    let m = this.keys.get(t)
    if (!m) this.keys.set(t, (m = new KeyMap()))
    m.set(key, recs)
    this.touched.add(t)
    this.actions.push([t, key, recs])
  }
  clear(t: string): void {
    this.keys.delete(t)
    this.cleared.add(t)
    this.touched.add(t)
    this.actions.push([t])
  }
  /** Takes over another overlay's changes, in order. */
  absorb(o: Overlay): void {
    for (const a of o.actions) {
      if (a.length === 1) this.clear(a[0])
      else this.set(a[0], a[1], a[2])
    }
  }
}

/** Careful flushes in a row, finding nothing missed, before the committer speculates again. */
const CAREFUL = 16

/** The group-committing commit queue of one tab. */
export class Committer {
  private queue: Pending[] = []
  private running = false
  /**
   * Flushes left to make the careful way before speculating again. A speculation that fails
   * costs a whole aborted IndexedDB transaction, so while other tabs commit too (the last guess
   * failed, or the careful read found their entries) the committer reads the log first; once
   * {@link CAREFUL} careful flushes in a row found nothing to catch up with, it guesses again.
   */
  private careful = 0
  constructor(private readonly node: LocalNode) {}

  /** Queues a request; resolves with its result or 'conflict' once the group commit is durable. */
  submit(req: CommitRequest): Promise<CommitResult | 'conflict'> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject })
      if (!this.running) {
        this.running = true
        queueMicrotask(() => void this.drain())
      }
    })
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue
        this.queue = []
        await this.flushWithRetry(batch)
      }
    } finally {
      this.running = false
    }
  }

  private async flushWithRetry(batch: Pending[]): Promise<void> {
    let speculate = this.careful === 0
    for (let attempt = 0; ; attempt++) {
      const suspensions = this.node.backend.suspensions
      try {
        await this.flush(batch, speculate)
        return
      } catch (e) {
        if (suspensions !== this.node.backend.suspensions && !this.node.closed) {
          // The tab was frozen mid-commit and its transaction aborted (StorageBackend.suspend):
          // nothing of it landed, or the unknown-outcome lookup found it; go again once it runs.
          attempt--
          continue
        }
        if (e instanceof SpeculationFailed) {
          speculate = false
          this.careful = CAREFUL
          attempt--
          continue
        }
        const name = (e as { name?: string }).name
        const retriable = e instanceof GapError || name === 'InvalidStateError' || name === 'NotFoundError' || name === 'TransactionInactiveError'
        if (retriable && attempt < 5 && !this.node.closed) {
          // The connection was closed by another tab's upgrade, a store is unknown to this tab,
          // or the log was truncated under it: bring this tab up to date and try again.
          if (e instanceof GapError) await this.node.reload()
          else await this.node.catchUp().catch(() => undefined)
          continue
        }
        const err = this.node.closed ? new DatabaseClosedError() : mapStorageError(e)
        for (const p of batch) p.reject(err)
        return
      }
    }
  }

  /**
   * One group commit. Speculating, it assumes no other tab committed since this tab's `applied`
   * LSN and issues every write at once without reading anything: the log record's `add` under
   * `applied + 1` fails if the guess was wrong (the IDB transaction aborts, undoing the writes),
   * and the flush is redone the careful way. The common single-writer case costs two requests.
   * While other tabs commit too, flushes go the careful way first ({@link careful}).
   */
  private async flush(batch: Pending[], speculate: boolean): Promise<void> {
    const node = this.node
    const tables = new Set<string>()
    for (const p of batch) {
      for (const t of p.req.writes.tables.keys()) tables.add(t)
      if (p.req.reads) for (const t of p.req.reads.discOnly) tables.add(t)
      if (p.req.peer) for (const t of p.req.peer.keys.keys()) tables.add(t)
    }
    const tx = await node.backend.transaction([LOG, ...node.storesOf(tables)], 'readwrite', 'strict')
    const done = tx.done
    done.catch(() => undefined)
    const accepted: { p: Pending; entry: LogEntry; counters: number[] }[] = []
    try {
      // 1. catch up (or guess that there is nothing to catch up with: the log `add` below fails
      //    with a ConstraintError if another tab committed since `base`)
      const base = node.applied
      if (!speculate) {
        const missed = await readLog(tx.store(LOG), node.applied)
        this.careful = missed.length > 0 ? CAREFUL : Math.max(0, this.careful - 1)
        const last = missed[missed.length - 1]
        if (last) node.applyEntries(missed, last.lsn, 'tab')
      }
      let lsn = node.applied
      // 2. validate and resolve, request by request
      const group = new Overlay()
      // Keys written by this node's own requests in this group: a peer change read before them
      // must not overwrite them (the document will take the local value when it is applied).
      const localKeys = new Overlay()
      const outcomes = new Map<Pending, 'conflict' | RequestError>()
      const readOnly: Pending[] = []
      for (const p of batch) {
        if (!(await this.valid(p.req.reads, group, tx))) {
          outcomes.set(p, 'conflict')
          continue
        }
        const mine = new Overlay()
        try {
          const peer = p.req.peer
          const { ops, counters } = peer ? await this.resolvePeer(peer, group, mine, localKeys, tx) : await this.resolve(p.req.writes, group, mine, tx)
          if (ops.length === 0) {
            // A read-only request validated inside the commit (disc_only reads): nothing to log.
            readOnly.push(p)
            continue
          }
          lsn++
          const entry = node.writer.entry(lsn, ops, peer?.node)
          accepted.push({ p, entry, counters })
          group.absorb(mine)
          if (!peer) localKeys.absorb(mine)
        } catch (e) {
          if (!(e instanceof RequestError)) throw e
          outcomes.set(p, e)
        }
      }
      // 3. write
      let appended: Appended | null = null
      if (accepted.length > 0) {
        const entries = accepted.map((a) => a.entry)
        for (const entry of entries) for (const op of entry.ops) this.writeOp(tx, op)
        appended = node.writer.append(tx.store(LOG), entries)
      }
      // Speculating with nothing to write (read-only requests validated against disc_only
      // stores): the guess must still hold, so look for entries past `base`.
      if (speculate && accepted.length === 0 && (await readLog(tx.store(LOG), base)).length > 0) {
        throw new SpeculationFailed('another tab committed first')
      }
      // Our log record's key taken: another tab committed since `base`. Nothing of this
      // transaction landed (the add failed, so the IndexedDB transaction aborted).
      if ((await node.writer.outcome(done, appended)) === 'collided') throw new SpeculationFailed('another tab committed first')
      // 4. apply, acknowledge, announce
      for (const { p, entry } of accepted) p.req.onApply?.(entry.lsn)
      node.writer.apply(accepted.map((a) => a.entry))
      node.dumpIfDue()
      for (const { p, entry, counters } of accepted) p.resolve({ lsn: entry.lsn, counters })
      for (const p of readOnly) p.resolve({ lsn: node.applied, counters: [] })
      for (const [p, o] of outcomes) {
        if (o === 'conflict') p.resolve('conflict')
        else p.reject(o.inner)
      }
      if (accepted.length > 0) node.writer.announce(lsn, accepted.map((a) => a.entry))
    } catch (e) {
      node.writer.abandon(accepted.map((a) => a.entry))
      try {
        tx.abort()
      } catch {
        // already finished
      }
      throw e
    }
  }

  /** Writes an op to its disc_only_copies store (the dumper writes disc_copies stores). */
  private writeOp(tx: Tx, op: LogOp): void {
    if (op.k === 'schema') return
    const rt = this.node.catalog.tables.get(op.t)
    if (rt?.def.storage !== 'disc_only_copies') return
    const store = tx.store(storeName(rt.def))
    if (op.k === 'clear') fire(store.clear())
    else writeChange(store, rt.def, op)
  }

  /** The records of a key as of now (memory, or the disc_only store inside the commit). */
  private async current(rt: TableRuntime, key: Key, group: Overlay, mine: Overlay, tx: Tx): Promise<readonly Rec[]> {
    const t = rt.def.name
    const o = mine.get(t, key) ?? group.get(t, key)
    if (o !== undefined) return o
    if (rt.mem) return rt.mem.readSync(key)
    const rows = await tx.store(storeName(rt.def)).getAll(keyRange(rt.def, key))
    return rows.map((r) => adoptRecord(r as Record<string, unknown>))
  }

  private async valid(reads: ReadSet | null, group: Overlay, tx: Tx): Promise<boolean> {
    if (!reads) return true
    const catalog = this.node.catalog
    for (const [t, v] of reads.tables) {
      const rt = catalog.tables.get(t)
      if (!rt || rt.version !== v || group.touched.has(t)) return false
    }
    for (const r of reads.keys) {
      const rt = catalog.tables.get(r.t)
      if (!rt) return false
      if (group.get(r.t, r.key) !== undefined) return false
      if (rt.mem) {
        if ((rt.mem.slot(r.key)?.v ?? 0) !== r.v) return false
      } else {
        const rows = await tx.store(storeName(rt.def)).getAll(keyRange(rt.def, r.key))
        if (canonical(rows.map((x) => adoptRecord(x as Record<string, unknown>))) !== r.v) return false
      }
    }
    return true
  }

  private async resolve(
    writes: WriteSet,
    group: Overlay,
    mine: Overlay,
    tx: Tx,
  ): Promise<{ ops: LogOp[]; counters: number[] }> {
    const ops: LogOp[] = []
    const counters: number[] = []
    for (const [t, tw] of writes.tables) {
      const rt = this.node.catalog.tables.get(t)
      if (!rt) throw new RequestError(new NoSuchTableError(t))
      if (tw.clear) {
        ops.push({ k: 'clear', t })
        mine.clear(t)
      }
      const bag = rt.def.type === 'bag'
      for (const kw of tw.keys.values()) {
        const old = await this.current(rt, kw.key, group, mine, tx)
        let recs = old
        const intents: Intent[] = []
        for (const pi of kw.intents) {
          const intent = 'c' in pi ? this.counter(rt, kw.key, recs, pi, counters) : pi
          intents.push(intent)
          recs = applyIntent(recs, intent, bag)
        }
        // One write that became the key's only record needs no intents in the log (intentsOf).
        const only = intents.length === 1 && recs.length === 1 && 'w' in (intents[0] as Intent) && (intents[0] as { w: Rec }).w === recs[0]
        const op: PutOp = only ? { k: 'put', t, key: kw.key, old, recs } : { k: 'put', t, key: kw.key, old, recs, i: intents }
        ops.push(op)
        mine.set(t, kw.key, recs)
      }
    }
    return { ops, counters }
  }

  /** The ops of a peer change: each changed key takes the records the document holds now. */
  private async resolvePeer(
    peer: PeerChange,
    group: Overlay,
    mine: Overlay,
    localKeys: Overlay,
    tx: Tx,
  ): Promise<{ ops: LogOp[]; counters: number[] }> {
    const ops: LogOp[] = []
    for (const [t, keys] of peer.keys) {
      const rt = this.node.catalog.tables.get(t)
      if (!rt) continue
      const bag = rt.def.type === 'bag'
      for (const key of keys) {
        if (localKeys.get(t, key) !== undefined) continue
        const target = peer.target(t, key)
        if (target === undefined) continue
        const old = await this.current(rt, key, group, mine, tx)
        if (old.length === target.length && canonical(old) === canonical(target)) continue
        const intents: Intent[] = []
        if (!bag) {
          const first = target[0]
          intents.push(first ? { w: first } : { d: true })
        } else {
          const want = new Set(target.map((r) => canonical(r)))
          const have = new Set(old.map((r) => canonical(r)))
          for (const r of old) if (!want.has(canonical(r))) intents.push({ o: r })
          for (const r of target) if (!have.has(canonical(r))) intents.push({ w: r })
        }
        let recs = old
        for (const i of intents) recs = applyIntent(recs, i, bag)
        const only = intents.length === 1 && recs.length === 1 && 'w' in (intents[0] as Intent)
        ops.push(only ? { k: 'put', t, key, old, recs } : { k: 'put', t, key, old, recs, i: intents })
        mine.set(t, key, recs)
      }
    }
    return { ops, counters: [] }
  }

  private counter(rt: TableRuntime, key: Key, recs: readonly Rec[], inc: Increment, out: number[]): Intent {
    try {
      const intent = resolveIncrement(rt.def, key, recs, inc)
      const field = inc.f ?? rt.def.attributes[1] ?? ''
      out.push(intent.w[field] as number)
      return intent
    } catch (e) {
      throw new RequestError(e)
    }
  }

}
