/**
 * Projections (Commanded's event handlers with a read model; LiveStore's materializers): a
 * `handle(t, event)` that writes tables, run over every event of the node in position order.
 *
 * **Exactly once.** A batch of events is read first (outside any transaction); then ONE
 * `db.transaction` reads the projection's checkpoint, checks that it is still where the batch
 * starts, runs `handle` for each event with the transaction's `t`, and writes the new checkpoint.
 * The handler's writes and the checkpoint commit together or not at all: a tab that dies (or
 * closes) mid-batch leaves the checkpoint where it was, and whichever tab runs the projection
 * next does the batch again from there. The checkpoint is a position, and positions are this
 * node's arrival order, so an event that came late from a peer (after a partition) is after
 * every checkpoint: the projection sees it, once, after the events it already handled.
 *
 * **One runner per node.** Every tab that declares the projection runs the loop, but the
 * checkpoint row carries a lease (`owner`, `until`, default 5 s, renewed by every batch): a tab
 * leaves the work to a live owner and takes over once the lease has run out (the owner tab
 * closed, crashed or is frozen). Correctness does not rest on the lease: two tabs that both
 * think they may run conflict on the checkpoint they both read, and the loser's transaction runs
 * again, finds the checkpoint moved, and does nothing.
 *
 * **Tables and rebuild.** The projection's tables are those its handler writes (recorded in the
 * checkpoint row, so every tab knows them) plus `tables` given with `handle`. `rebuild()` clears
 * them and resets the checkpoint in one transaction, then resolves once the projection has
 * replayed every event stored at the time of the call. Make projection tables `localContent`:
 * each node projects its own copy of the events (replicating a read model would have two nodes'
 * projections overwrite each other).
 *
 * A handler that throws aborts its batch (nothing of it is kept); the batch is retried with
 * backoff, forever, never skipped; `onError` sees each failure.
 *
 * @module
 */
import { DatabaseClosedError, TransactionAbortedError, WebnesiaError } from '../errors.js'
import type { Database } from '../db.js'
import type { Transaction } from '../txn/transaction.js'
import type { ConsistencyWaiter } from './aggregate.js'
import { Signal, backoffMs, delay } from './signal.js'
import type { RecordedEvent, StoreEngine } from './store.js'
import { CHECKPOINT, LOG, hasTable, type CheckpointRow } from './tables.js'

type R<T> = T & Record<string, unknown>

/** The definition of a projection. */
export interface ProjectionDef {
  /** Applies one event, writing through `t` (the batch's transaction). */
  handle: (t: Transaction, event: RecordedEvent) => unknown
  /** Tables `rebuild()` clears besides those the handler writes. */
  tables?: readonly string[]
  /** Events per transaction (default 100). */
  batchSize?: number
  /** How long a tab keeps the projection to itself after its last batch (default 5000 ms). */
  leaseMs?: number
  /** Called with each failure of a batch (the handler's error) and the event it failed on. */
  onError?: (error: unknown, event: RecordedEvent | undefined) => void
}

/** A `t` that records the tables written through it. */
function recording(t: Transaction, tables: Set<string>): Transaction {
  return new Proxy(t, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = v as (...args: unknown[]) => unknown
      if (prop === 'write' || prop === 'delete' || prop === 'deleteObject') {
        return (tab: unknown, ...rest: unknown[]) => {
          if (typeof tab === 'string') tables.add(tab)
          return f.call(target, tab, ...rest)
        }
      }
      return f.bind(target)
    },
  })
}

/**
 * The runner of a projection declared in this tab, behind the public `Projection` (api.ts, which
 * checks the definition). It starts at once and runs until the handle closes (or `stop()`).
 */
export class ProjectionRunner {
  private readonly wake = new Signal()
  private readonly token = Math.random().toString(36).slice(2) + Date.now().toString(36)
  private readonly offs: (() => void)[] = []
  private stopped = false
  private readonly batchSize: number
  private readonly leaseMs: number

  constructor(
    private readonly store: StoreEngine,
    /** The projection's name (its checkpoint's key). */
    readonly name: string,
    private readonly def: ProjectionDef,
    private readonly unregister: () => void,
  ) {
    this.batchSize = def.batchSize ?? 100
    this.leaseMs = def.leaseMs ?? 5000
  }

  private get db(): Database {
    return this.store.db
  }

  /** @internal */
  start(): void {
    void this.loop()
  }

  /**
   * Stops running the projection in this tab and hands the lease back (another tab takes over).
   * @throws the storage error when handing the lease back fails (StorageFullError, …); not when the
   * handle is closed (the lease then simply runs out)
   */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.halt()
    try {
      await this.db.transaction(async (t) => {
        const [c] = await t.read<R<CheckpointRow>>(CHECKPOINT, this.name)
        if (c && c.owner === this.token) await t.write(CHECKPOINT, { ...c, until: 0 })
      })
    } catch (e) {
      if (!(e instanceof DatabaseClosedError)) throw e
    }
  }

  /** @internal Stops the loop (the handle closes). */
  halt(): void {
    this.stopped = true
    for (const off of this.offs.splice(0)) off()
    this.unregister()
    this.wake.fire()
  }

  /**
   * The position of the last event this projection handled on this node (0: none).
   * @throws DatabaseClosedError once the handle is closed
   */
  async position(): Promise<number> {
    await this.store.ready()
    const [c] = await this.db.transaction((t) => t.read<R<CheckpointRow>>(CHECKPOINT, this.name))
    return c?.position ?? 0
  }

  /**
   * Clears the projection's tables and replays every event from the origin. Resolves once the
   * projection has handled every event stored when it was called (in whichever tab runs it).
   *
   * @throws WebnesiaError `'timeout'` after `timeoutMs` (default: no limit).
   * @example
   * await balances.rebuild()
   */
  async rebuild(timeoutMs = Infinity): Promise<void> {
    await this.store.ready()
    const head = await this.store.headPosition()
    await this.db.transaction(async (t) => {
      const [c] = await t.read<R<CheckpointRow>>(CHECKPOINT, this.name)
      const tables = [...new Set([...(this.def.tables ?? []), ...(c?.tables ?? [])])]
      for (const tab of tables) {
        if (!hasTable(this.db, tab)) continue
        for (const k of await t.allKeys(tab)) await t.delete(tab, k)
      }
      await t.write(CHECKPOINT, { name: this.name, position: 0, owner: this.token, until: Date.now() + this.leaseMs, tables })
    })
    this.wake.fire()
    await waitForCheckpoint(this.store, this.name, head, timeoutMs)
  }

  private listen(): void {
    const fire = (): void => this.wake.fire()
    this.offs.push(this.db.subscribe({ table: LOG }, fire), this.db.subscribe({ table: CHECKPOINT }, fire))
  }

  private async loop(): Promise<void> {
    let failures = 0
    try {
      await this.store.ready()
      if (this.stopped) return
      this.listen()
      while (!this.stopped) {
        const [ck] = await this.db.transaction((t) => t.read<R<CheckpointRow>>(CHECKPOINT, this.name))
        const now = Date.now()
        if (ck && ck.owner !== this.token && ck.until > now) {
          await this.wake.wait(ck.until - now + 1) // another tab runs it; take over when its lease runs out
          continue
        }
        const pos = ck?.position ?? 0
        const { events } = await this.store.readFrom(pos, this.batchSize)
        if (events.length === 0) {
          await this.wake.wait()
          continue
        }
        let current: RecordedEvent | undefined
        try {
          await this.db.transaction(async (t) => {
            const [c] = await t.read<R<CheckpointRow>>(CHECKPOINT, this.name)
            if ((c?.position ?? 0) !== pos) return // moved on (another tab, or a rebuild): read again
            if (c && c.owner !== this.token && c.until > Date.now()) return
            const tables = new Set([...(this.def.tables ?? []), ...(c?.tables ?? [])])
            const rt = recording(t, tables)
            for (const ev of events) {
              current = ev
              await this.def.handle(rt, ev)
            }
            const last = events[events.length - 1] as RecordedEvent
            const row: CheckpointRow = { name: this.name, position: last.position, owner: this.token, until: Date.now() + this.leaseMs, tables: [...tables] }
            await t.write(CHECKPOINT, row as unknown as Record<string, unknown>)
          })
          failures = 0
        } catch (e) {
          if (e instanceof DatabaseClosedError || this.stopped) return
          this.def.onError?.(e instanceof TransactionAbortedError ? e.reason : e, current)
          await delay(backoffMs(failures++))
        }
      }
    } catch (e) {
      if (e instanceof DatabaseClosedError || this.stopped) return
      throw e
    }
  }
}

/** Resolves once projection `name`'s checkpoint on this node reaches `position`. */
export async function waitForCheckpoint(store: StoreEngine, name: string, position: number, timeoutMs: number): Promise<void> {
  const db = store.db
  // A transaction starts from every commit another tab announced (a dirty read may lag them, and
  // a table subscription does not report commits announced before it).
  const reached = async (): Promise<boolean> =>
    ((await db.transaction((t) => t.read<R<CheckpointRow>>(CHECKPOINT, name)))[0]?.position ?? 0) >= position
  if (await reached()) return
  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      off()
      offStop()
      if (timer !== undefined) clearTimeout(timer)
      if (err === undefined) resolve()
      else reject(err)
    }
    const off = db.subscribe({ table: CHECKPOINT }, (ev) => {
      if (ev.type === 'write' && ev.record['name'] === name && (ev.record['position'] as number) >= position) finish()
    })
    const offStop = store.onStop(() => finish(new DatabaseClosedError()))
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => finish(new WebnesiaError('timeout', `projection ${name} did not reach position ${String(position)} in ${String(timeoutMs)} ms`)), timeoutMs)
    }
    // A write between the first check and the subscription: check once more.
    reached().then(
      (ok) => ok && finish(),
      (e: unknown) => finish(e instanceof Error ? e : new WebnesiaError('aborted', String(e))),
    )
  })
}

/** The projection runners of one tab (and what `dispatch` waits on). */
export class ProjectionRunners implements ConsistencyWaiter {
  private readonly runners = new Set<ProjectionRunner>()

  /** @param names the names of the projections declared in this tab (api.ts checks and keeps them) */
  constructor(
    private readonly store: StoreEngine,
    private readonly names: () => string[],
  ) {
    store.onStop(() => {
      for (const p of [...this.runners]) p.halt()
    })
  }

  /** Makes and starts the runner of a checked, declared projection. */
  add(name: string, def: ProjectionDef): ProjectionRunner {
    const p = new ProjectionRunner(this.store, name, def, () => this.runners.delete(p))
    this.runners.add(p)
    p.start()
    return p
  }

  declared(): string[] {
    return this.names()
  }

  async waitFor(names: readonly string[], position: number, timeoutMs: number): Promise<void> {
    await Promise.all(names.map((n) => waitForCheckpoint(this.store, n, position, timeoutMs)))
  }
}
