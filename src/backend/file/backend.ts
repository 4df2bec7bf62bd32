/// <reference types="node" />
/**
 * The file backend: the {@link StorageBackend} of an edge node on Node ≥ 20
 * (`openDatabase({ name, dir })`), over the files of files.ts.
 *
 * The node's stores live in memory (memory.ts) and every committed readwrite transaction is one
 * frame appended to the log and fdatasync'ed (durability `'strict'`) before `done` resolves, so
 * an acknowledged commit survives `kill -9` and a power loss. Transactions run one at a time, in
 * the order they were opened, which gives the contract's atomicity and isolation directly; a
 * transaction's requests apply to memory as they are issued (its reads see its writes), each with
 * its inverse kept, so an abort — a failing request, `abort()`, a failed append — rolls memory
 * back and nothing of it is logged. A transaction commits as IndexedDB's do: once it has no
 * request pending and its caller issued none before the next macrotask.
 *
 * Every handle of the process that opens the same folder shares one {@link Engine} (as every tab
 * shares one IndexedDB database): they are tabs of one node. Another process is refused with a
 * typed error (`'locked'`): the folder's LOCK names the holder, and a holder that died (kill -9)
 * is taken over. Upgrades tell the other handles (`onVersionChange`) so they reload the schema.
 *
 * Departure from the contract's picture of `disc_only_copies` ("nothing kept in memory"): this
 * backend keeps every store in memory, so a node's data must fit in RAM.
 *
 * @module
 */
import { resolve, join } from 'node:path'
import { DatabaseClosedError, WebnesiaError } from '../../errors.js'
import { compareKeys } from '../../storage/term.js'
import type { BackendFactory, BackendTx, Direction, Durability, KeyRange, Mode, Query, StorageBackend, Store, StoreKey, UpgradeTx } from '../backend.js'
import { NodeFiles } from './files.js'
import { toSpec, type MemState, type Op } from './memory.js'

function fail(name: string, message: string): DOMException {
  return new DOMException(message, name)
}

/** A disc that is full is the quota of IndexedDB: the engine maps both to StorageFullError. */
function diskError(e: unknown): unknown {
  const code = (e as { code?: string }).code
  return code === 'ENOSPC' || code === 'EDQUOT' ? fail('QuotaExceededError', 'the disc is full') : e
}

type Request = () => unknown

/** One transaction. */
class FileTx implements UpgradeTx {
  readonly done: Promise<void>
  private settle!: { resolve: () => void; reject: (e: unknown) => void }
  private readonly queued: { run: Request; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = []
  private readonly undo: (() => void)[] = []
  private readonly ops: Op[] = []
  private state: 'waiting' | 'active' | 'finished' = 'waiting'
  private issued = 0
  private checked = -1

  /** Resolves when the transaction's turn has come (the upgrade step's callback runs then). */
  readonly started: Promise<void>
  private onStart!: () => void

  constructor(
    private readonly engine: Engine,
    private readonly scope: ReadonlySet<string> | null,
    readonly mode: Mode | 'versionchange',
    readonly durability: Durability,
    readonly owner: FileBackend,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }))
    this.done.catch(() => undefined)
    this.started = new Promise((resolve) => (this.onStart = resolve))
  }

  /** Issues a request: run at once when active, else when the transaction's turn comes. */
  request<T>(run: () => T): Promise<T> {
    if (this.state === 'finished') return Promise.reject(fail('TransactionInactiveError', 'the transaction has finished'))
    this.issued++
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ run, resolve: resolve as (v: unknown) => void, reject })
      if (this.state === 'active') this.pump()
    })
  }

  /** The engine gives this transaction its turn. */
  start(): void {
    this.state = 'active'
    this.onStart()
    this.pump()
  }

  private pump(): void {
    while (this.queued.length > 0 && this.state === 'active') {
      const q = this.queued.shift()
      if (!q) break
      try {
        q.resolve(q.run())
      } catch (e) {
        q.reject(e)
        this.fail(e)
        return
      }
    }
    this.scheduleCommit()
  }

  private scheduleCommit(): void {
    const at = this.issued
    if (this.checked === at) return
    this.checked = at
    setImmediate(() => {
      if (this.state === 'active' && this.issued === at && this.queued.length === 0) void this.commit()
    })
  }

  /** Records a change: applied to memory now, logged at commit, undone on abort. */
  change(op: Op): void {
    if (this.state !== 'active') throw fail('InvalidStateError', 'the transaction is not active')
    if (this.mode === 'readonly') throw fail('ReadOnlyError', 'the transaction is read-only')
    this.undo.push(this.engine.state.apply(op))
    this.ops.push(op)
  }

  private async commit(): Promise<void> {
    this.state = 'finished'
    try {
      if (this.ops.length > 0) await this.engine.files.append(this.ops, this.durability === 'strict' || this.mode === 'versionchange')
    } catch (e) {
      this.rollback()
      this.settle.reject(diskError(e))
      this.engine.finished(this, false)
      return
    }
    this.settle.resolve()
    this.engine.finished(this, this.ops.length > 0)
  }

  private rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]?.()
    this.undo.length = 0
  }

  /** Aborts with `error`: memory rolled back, pending requests failed, `done` rejected. */
  fail(error: unknown): void {
    if (this.state === 'finished') return
    const wasActive = this.state === 'active'
    this.state = 'finished'
    this.rollback()
    for (const q of this.queued.splice(0)) q.reject(fail('AbortError', 'the transaction was aborted'))
    this.settle.reject(error)
    if (wasActive) this.engine.finished(this, false)
    else this.engine.dequeue(this)
  }

  abort(): void {
    if (this.state === 'finished') throw fail('InvalidStateError', 'the transaction has finished')
    this.fail(fail('AbortError', 'the transaction was aborted'))
  }

  store(name: string): Store {
    if (this.scope && !this.scope.has(name)) throw fail('NotFoundError', `store '${name}' is not in the transaction's scope`)
    return new FileStore(this, this.engine.state, name)
  }

  // ---- the upgrade step ----
  hasStore(name: string): boolean {
    return this.engine.state.stores.has(name)
  }
  createStore(name: string, opts?: { autoIncrement?: boolean }): void {
    this.change({ o: 'mkstore', s: name, auto: opts?.autoIncrement ?? false })
  }
  deleteStore(name: string): void {
    this.change({ o: 'rmstore', s: name })
  }
  createIndex(store: string, attr: string): void {
    this.change({ o: 'mkindex', s: store, a: attr })
  }
  deleteIndex(store: string, attr: string): void {
    this.change({ o: 'rmindex', s: store, a: attr })
  }
}

/** A store within a transaction. Values go in and come out as structured clones. */
class FileStore implements Store {
  constructor(
    private readonly tx: FileTx,
    private readonly state: MemState,
    private readonly name: string,
  ) {}
  private rows<T>(fn: (s: ReturnType<MemState['store']>) => T): Promise<T> {
    return this.tx.request(() => fn(this.state.store(this.name)))
  }
  get(key: StoreKey): Promise<unknown> {
    return this.rows((s) => structuredClone(s.rows.get(key)))
  }
  getAll(query?: Query, count?: number): Promise<unknown[]> {
    return this.rows((s) => take(s.scan(query === undefined ? undefined : toSpec(query)), count).map(([, v]) => structuredClone(v)))
  }
  getAllKeys(query?: Query, count?: number): Promise<StoreKey[]> {
    return this.rows((s) => take(s.scan(query === undefined ? undefined : toSpec(query)), count).map(([k]) => structuredClone(k)))
  }
  count(query?: Query): Promise<number> {
    return this.rows((s) => (query === undefined ? s.rows.size : take(s.scan(toSpec(query))).length))
  }
  edgeKey(query: Query | undefined, direction: Direction): Promise<StoreKey | undefined> {
    return this.rows((s) => {
      const first = s.scan(query === undefined ? undefined : toSpec(query), direction).next()
      return first.done ? undefined : structuredClone(first.value[0])
    })
  }
  entries(query: Query | undefined, direction: Direction, count: number): Promise<{ key: StoreKey; value: unknown }[]> {
    return this.rows((s) => take(s.scan(query === undefined ? undefined : toSpec(query), direction), count).map(([key, value]) => ({ key: structuredClone(key), value: structuredClone(value) })))
  }
  async readChunks(chunk: number, onRows: (rows: unknown[]) => void, range?: KeyRange): Promise<void> {
    const all = await this.getAll(range)
    for (let i = 0; ; i += chunk) {
      const rows = all.slice(i, i + chunk)
      onRows(rows)
      if (rows.length < chunk) return
    }
  }
  hasIndex(name: string): boolean {
    return this.state.stores.get(this.name)?.indexes.has(name) ?? false
  }
  indexGetAll(index: string, key: StoreKey): Promise<unknown[]> {
    return this.rows((s) => {
      if (!s.indexes.has(index)) throw fail('NotFoundError', `no index '${index}'`)
      return s.indexKeys(index, key).map((k) => structuredClone(s.rows.get(k)))
    })
  }
  put(value: unknown, key: StoreKey): Promise<unknown> {
    return this.tx.request(() => {
      this.tx.change({ o: 'put', s: this.name, k: structuredClone(key), v: structuredClone(value) })
      return key
    })
  }
  add(value: unknown, key: StoreKey): Promise<unknown> {
    return this.tx.request(() => {
      if (this.state.store(this.name).rows.has(key)) throw fail('ConstraintError', 'a record with this key exists')
      this.tx.change({ o: 'put', s: this.name, k: structuredClone(key), v: structuredClone(value) })
      return key
    })
  }
  delete(query: Query): Promise<unknown> {
    return this.tx.request(() => void this.tx.change({ o: 'del', s: this.name, q: toSpec(query) }))
  }
  clear(): Promise<unknown> {
    return this.tx.request(() => void this.tx.change({ o: 'clear', s: this.name }))
  }
}

function take<T>(it: Iterable<T>, count?: number): T[] {
  const out: T[] = []
  if (count === 0) return out
  for (const x of it) {
    out.push(x)
    if (count !== undefined && out.length >= count) break
  }
  return out
}

/** One node folder opened in this process, shared by every handle on it. */
class Engine {
  private readonly queue: FileTx[] = []
  private running: FileTx | null = null
  readonly handles = new Set<FileBackend>()
  private compacting = false

  constructor(readonly files: NodeFiles) {}
  get state(): MemState {
    return this.files.state
  }

  enqueue(tx: FileTx): void {
    this.queue.push(tx)
    this.next()
  }
  dequeue(tx: FileTx): void {
    const i = this.queue.indexOf(tx)
    if (i >= 0) this.queue.splice(i, 1)
  }
  finished(tx: FileTx, wrote: boolean): void {
    if (this.running === tx) this.running = null
    if (tx.mode === 'versionchange' && wrote) {
      for (const h of this.handles) if (h !== tx.owner) h.onVersionChange?.()
    }
    if (wrote && this.files.compactionDue && !this.compacting) {
      // Compaction runs in the queue's gap: no transaction is between its requests.
      this.compacting = true
      void this.files.compact().finally(() => {
        this.compacting = false
        this.next()
      }).catch(() => undefined) // a failed compaction leaves the current generation whole
      return
    }
    this.next()
  }
  private next(): void {
    if (this.running || this.compacting) return
    const tx = this.queue.shift()
    if (!tx) return
    this.running = tx
    tx.start()
  }
}

const engines = new Map<string, Promise<Engine>>()
/** Folders whose last handle is closing their files: a reopen waits for it (the LOCK is theirs until then). */
const closing = new Map<string, Promise<void>>()

/** One handle's backend (a "tab" of the node). */
export class FileBackend implements StorageBackend {
  onVersionChange: (() => void) | null = null
  private engine: Promise<Engine> | null = null
  /** The process-wide engine promise this handle attached to (the key of `engines`). */
  private shared: Promise<Engine> | null = null
  private closed = false

  constructor(
    private readonly path: string,
    private readonly create: (tx: UpgradeTx) => void,
  ) {}

  private get(): Promise<Engine> {
    if (this.closed) return Promise.reject(new DatabaseClosedError())
    this.engine ??= this.attach()
    return this.engine
  }

  private async attach(): Promise<Engine> {
    await closing.get(this.path)
    let p = engines.get(this.path)
    if (!p) {
      p = (async () => {
        const engine = new Engine(await NodeFiles.open(this.path))
        if (engine.files.fresh) {
          const tx = this.tx(engine, null, 'versionchange', 'strict')
          await tx.started
          this.create(tx)
          await tx.done
        }
        return engine
      })()
      engines.set(this.path, p)
      p.catch(() => engines.delete(this.path))
    }
    this.shared = p
    const engine = await p
    engine.handles.add(this)
    return engine
  }

  private tx(engine: Engine, scope: ReadonlySet<string> | null, mode: Mode | 'versionchange', durability: Durability): FileTx {
    const tx = new FileTx(engine, scope, mode, durability, this)
    engine.enqueue(tx)
    return tx
  }

  async storeNames(): Promise<string[]> {
    const e = await this.get()
    return [...e.state.stores.keys()].sort(compareKeys)
  }

  async transaction(stores: readonly string[], mode: Mode, durability: Durability = 'relaxed'): Promise<BackendTx> {
    const e = await this.get()
    for (const s of stores) if (!e.state.stores.has(s)) throw fail('NotFoundError', `no object store '${s}'`)
    return this.tx(e, new Set(stores), mode, durability)
  }

  async upgrade<T>(fn: (tx: UpgradeTx) => Promise<T>): Promise<T> {
    const e = await this.get()
    const tx = this.tx(e, null, 'versionchange', 'strict')
    await tx.started
    let result: T
    try {
      result = await fn(tx)
    } catch (err) {
      try {
        tx.abort()
      } catch {
        // already finished
      }
      throw err
    }
    await tx.done
    return result
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const p = this.engine
    if (!p) return
    const done = p.then(async (e) => {
      e.handles.delete(this)
      if (e.handles.size === 0 && engines.get(this.path) === this.shared) {
        engines.delete(this.path)
        await e.files.close()
      }
    })
    const settled = done.catch(() => undefined).finally(() => {
      if (closing.get(this.path) === settled) closing.delete(this.path)
    })
    closing.set(this.path, settled)
  }
}

/**
 * The backend factory of nodes kept in files under `dir` (one folder per node name).
 *
 * @example
 * const db = await openDatabase({ name: 'shop', dir: './data' })   // uses this factory
 */
export function fileBackend(dir: string): BackendFactory {
  if (typeof dir !== 'string' || dir.length === 0) throw new WebnesiaError('badarg', 'dir must be a non-empty path')
  return (name, create) => new FileBackend(join(resolve(dir), encodeURIComponent(name)), create)
}

/** Resolves once every node folder whose handles all closed has closed its files and released its LOCK. */
export async function filesClosed(): Promise<void> {
  await Promise.all([...closing.values()])
}
