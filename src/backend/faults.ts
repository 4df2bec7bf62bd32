/**
 * A fault-injection wrapper around any storage backend, for tests: fails the Nth request chosen
 * by store and operation, once (transient) or from then on (persistent), the way a real backend
 * fails — the request rejects with a DOMException of the given name, its transaction aborts, and
 * the transaction's `done` rejects with that same error (IndexedDB's behaviour for a failed
 * request, e.g. a QuotaExceededError). Nothing of the failed request reaches the inner backend.
 *
 * @example
 * const faults = new Faults()
 * const db = await openDatabaseOn(faults.wrap(idbBackend), { name: 'x' })
 * const rule = faults.add({ store: 'log', op: ['put', 'add'], persistent: true, error: 'QuotaExceededError' })
 * // ... every write to the log fails ...
 * rule.remove()
 *
 * @module
 */
import type { BackendFactory, BackendTx, Direction, Durability, KeyRange, Mode, Query, StorageBackend, Store, StoreKey, UpgradeTx } from './backend.js'

/** The operations of a {@link Store} a rule can pick. */
export type FaultOp = 'get' | 'getAll' | 'getAllKeys' | 'count' | 'edgeKey' | 'entries' | 'readChunks' | 'indexGetAll' | 'put' | 'add' | 'delete' | 'clear'

/** Which requests fail. */
export interface FaultRule {
  /** The store (any when absent). */
  readonly store?: string
  /** The operation or operations (any when absent). */
  readonly op?: FaultOp | readonly FaultOp[]
  /** The matching request that fails first, counted from 1 once the rule is added (default 1). */
  readonly nth?: number
  /** Fail every matching request from the Nth on (default: only the Nth). */
  readonly persistent?: boolean
  /** The DOMException name (default 'UnknownError'). */
  readonly error?: string
  /**
   * The request goes through and its transaction commits, but the transaction's `done` rejects
   * with the error: a commit that landed though its caller hears it failed (an unknown outcome).
   */
  readonly landed?: boolean
}

/** An active rule. */
export interface FaultHandle {
  /** Matching requests seen so far. */
  readonly seen: number
  /** Requests failed so far. */
  readonly failed: number
  remove(): void
}

interface ActiveRule extends FaultHandle {
  readonly rule: FaultRule
  seen: number
  failed: number
}

/** A set of fault rules, shared by every backend it wraps. */
export class Faults {
  private readonly rules: ActiveRule[] = []

  /** Adds a rule; it counts matching requests from now on. */
  add(rule: FaultRule): FaultHandle {
    const active: ActiveRule = {
      rule,
      seen: 0,
      failed: 0,
      remove: () => {
        const i = this.rules.indexOf(active)
        if (i >= 0) this.rules.splice(i, 1)
      },
    }
    this.rules.push(active)
    return active
  }

  /** Removes every rule. */
  clear(): void {
    this.rules.length = 0
  }

  /** A factory whose backends are `inner`'s, wrapped. */
  wrap(inner: BackendFactory): BackendFactory {
    return (name, create) => new FaultyBackend(inner(name, create), this)
  }

  /** The error a request of `op` on `store` fails with, or null when it goes through. */
  check(store: string, op: FaultOp): DOMException | null {
    return this.checkRule(store, op)?.error ?? null
  }

  /** {@link check}, with whether the failing rule lets the request land. */
  checkRule(store: string, op: FaultOp): { error: DOMException; landed: boolean } | null {
    let out: { error: DOMException; landed: boolean } | null = null
    for (const r of this.rules) {
      const { rule } = r
      if (rule.store !== undefined && rule.store !== store) continue
      if (rule.op !== undefined && (typeof rule.op === 'string' ? rule.op !== op : !rule.op.includes(op))) continue
      r.seen++
      const nth = rule.nth ?? 1
      if (r.seen === nth || (rule.persistent === true && r.seen > nth)) {
        r.failed++
        out ??= { error: new DOMException(`injected fault: ${op} on ${store}`, rule.error ?? 'UnknownError'), landed: rule.landed === true }
      }
    }
    return out
  }
}

/** A backend whose requests go through a {@link Faults} rule set. */
export class FaultyBackend implements StorageBackend {
  constructor(
    readonly inner: StorageBackend,
    private readonly faults: Faults,
  ) {}
  get onVersionChange(): (() => void) | null {
    return this.inner.onVersionChange
  }
  set onVersionChange(fn: (() => void) | null) {
    this.inner.onVersionChange = fn
  }
  storeNames(): Promise<string[]> {
    return this.inner.storeNames()
  }
  async transaction(stores: readonly string[], mode: Mode, durability?: Durability): Promise<BackendTx> {
    return new FaultyTx(await this.inner.transaction(stores, mode, durability), this.faults)
  }
  upgrade<T>(fn: (tx: UpgradeTx) => Promise<T>): Promise<T> {
    return this.inner.upgrade((tx) => fn(new FaultyUpgrade(tx, this.faults)))
  }
  close(): void {
    this.inner.close()
  }
}

class FaultyTx implements BackendTx {
  readonly done: Promise<void>
  private error: DOMException | null = null
  /** A `landed` fault: `done` rejects with it once the transaction committed. */
  private late: DOMException | null = null
  constructor(
    readonly inner: BackendTx,
    private readonly faults: Faults,
  ) {
    this.done = inner.done.then(
      () => {
        if (this.error) throw this.error
        if (this.late) throw this.late
      },
      (e: unknown) => {
        throw this.error ?? e
      },
    )
    this.done.catch(() => undefined) // the caller may never look
  }
  store(name: string): Store {
    // The inner store is taken per request: one of an aborted transaction cannot be.
    return new FaultyStore(name, this)
  }
  abort(): void {
    this.inner.abort()
  }
  /** Runs `request` unless a rule fails it; a failed request aborts the transaction. */
  run<T>(store: string, op: FaultOp, request: (s: Store) => Promise<T>): Promise<T> {
    // Requests after the failure fail like those of an aborted IndexedDB transaction.
    if (this.error) return Promise.reject(new DOMException('the transaction was aborted', 'AbortError'))
    const hit = this.faults.checkRule(store, op)
    if (!hit) return request(this.inner.store(store))
    const err = hit.error
    if (hit.landed) {
      this.late ??= err
      return request(this.inner.store(store))
    }
    this.error = err
    try {
      this.inner.abort()
    } catch {
      // already finished
    }
    return Promise.reject(err)
  }
}

class FaultyUpgrade extends FaultyTx implements UpgradeTx {
  constructor(
    private readonly up: UpgradeTx,
    faults: Faults,
  ) {
    super(up, faults)
  }
  hasStore(name: string): boolean {
    return this.up.hasStore(name)
  }
  createStore(name: string, opts?: { autoIncrement?: boolean }): void {
    this.up.createStore(name, opts)
  }
  deleteStore(name: string): void {
    this.up.deleteStore(name)
  }
  createIndex(store: string, attr: string): void {
    this.up.createIndex(store, attr)
  }
  deleteIndex(store: string, attr: string): void {
    this.up.deleteIndex(store, attr)
  }
}

class FaultyStore implements Store {
  constructor(
    private readonly name: string,
    private readonly tx: FaultyTx,
  ) {}
  get(key: StoreKey): Promise<unknown> {
    return this.tx.run(this.name, 'get', (s) => s.get(key))
  }
  getAll(query?: Query, count?: number): Promise<unknown[]> {
    return this.tx.run(this.name, 'getAll', (s) => s.getAll(query, count))
  }
  getAllKeys(query?: Query, count?: number): Promise<StoreKey[]> {
    return this.tx.run(this.name, 'getAllKeys', (s) => s.getAllKeys(query, count))
  }
  count(query?: Query): Promise<number> {
    return this.tx.run(this.name, 'count', (s) => s.count(query))
  }
  edgeKey(query: Query | undefined, direction: Direction): Promise<StoreKey | undefined> {
    return this.tx.run(this.name, 'edgeKey', (s) => s.edgeKey(query, direction))
  }
  entries(query: Query | undefined, direction: Direction, count: number): Promise<{ key: StoreKey; value: unknown }[]> {
    return this.tx.run(this.name, 'entries', (s) => s.entries(query, direction, count))
  }
  readChunks(chunk: number, onRows: (rows: unknown[]) => void, range?: KeyRange): Promise<void> {
    return this.tx.run(this.name, 'readChunks', (s) => s.readChunks(chunk, onRows, range))
  }
  hasIndex(name: string): boolean {
    return this.tx.inner.store(this.name).hasIndex(name)
  }
  indexGetAll(index: string, key: StoreKey): Promise<unknown[]> {
    return this.tx.run(this.name, 'indexGetAll', (s) => s.indexGetAll(index, key))
  }
  put(value: unknown, key: StoreKey): Promise<unknown> {
    return this.tx.run(this.name, 'put', (s) => s.put(value, key))
  }
  add(value: unknown, key: StoreKey): Promise<unknown> {
    return this.tx.run(this.name, 'add', (s) => s.add(value, key))
  }
  delete(query: Query): Promise<unknown> {
    return this.tx.run(this.name, 'delete', (s) => s.delete(query))
  }
  clear(): Promise<unknown> {
    return this.tx.run(this.name, 'clear', (s) => s.clear())
  }
}
