/**
 * Reading and writing a table through an access context (Mnesia's activity): a transaction, a
 * nested transaction, or a dirty context.
 *
 * In a transaction, reads see the committed table merged with the transaction's own intents (seed
 * 003: private ins/del entries merged on read), from the top-level transaction down to the
 * innermost child, and every read is remembered in the read set (key → version; table → version
 * for scans, index reads and iteration, which catches phantoms). Before each read the transaction
 * checks that nothing it read so far has changed since (only when some commit was applied in
 * between): a transaction never acts on an inconsistent view, it restarts instead (opacity).
 *
 * A dirty context reads the committed table and commits each write at once.
 *
 * @module
 */
import { BadRecordError, NoSuchTableError, WebnesiaError, safeString } from '../errors.js'
import type { LocalNode } from '../node.js'
import type { TableRuntime } from '../schema/catalog.js'
import type { Bounds } from '../storage/key-store.js'
import { applyIntents, keyOf, type Intent, type Rec } from '../storage/record.js'
import { canonical, compareKeys, KeyMap, type Key } from '../storage/term.js'
import { attemptsOf, type Attempt } from './attempts.js'
import type { Committer } from './committer.js'
import { applyPending, resolveIncrement, type Increment } from './counter.js'
import { ReadSet, WriteSet, type PendingIntent } from './write-set.js'

/** Thrown inside a transaction when what it read has changed: the transaction is run again. */
export class ConflictSignal extends Error {
  constructor() {
    super('transaction conflict: restarting')
  }
}

/** The kinds of access context (Mnesia's activities). */
export type ActivityKind = 'transaction' | 'sync_transaction' | 'async_dirty' | 'sync_dirty' | 'ets'

const EMPTY: readonly Rec[] = []

/** One level of an access context. */
export class Access {
  readonly reads: ReadSet | null
  readonly writes: WriteSet
  private epoch: number

  constructor(
    readonly node: LocalNode,
    readonly committer: Committer,
    readonly kind: ActivityKind,
    readonly parent: Access | null,
    /** The top-level transaction attempt this context belongs to (see `attempts.ts`). */
    readonly attempt: Attempt | null = parent?.attempt ?? null,
  ) {
    this.reads = this.transactional ? (parent?.reads ?? new ReadSet()) : null
    this.writes = new WriteSet()
    this.epoch = parent?.epoch ?? node.epoch
  }

  /** True for transaction and sync_transaction (and dirty kinds nested inside one). */
  get transactional(): boolean {
    return this.kind === 'transaction' || this.kind === 'sync_transaction'
  }

  /** The table, or a {@link NoSuchTableError}. */
  table(t: string): TableRuntime {
    this.node.check()
    if (typeof t !== 'string') throw new NoSuchTableError(safeString(t))
    const rt = this.node.catalog.get(t)
    if (this.kind === 'ets' && rt.def.storage !== 'ram_copies') {
      throw new WebnesiaError('bad_type', `ets context: ${t} is not a ram_copies table`)
    }
    return rt
  }

  // ---- consistency of a transaction's view ----

  /** Restarts the transaction if anything it read changed since (called before each read). */
  revalidate(): void {
    const reads = this.reads
    if (!reads || this.epoch === this.node.epoch) return
    if (!this.stillValid() && !this.forgive()) {
      reads.conflict = true
      throw new ConflictSignal()
    }
    this.epoch = this.node.epoch
  }

  /**
   * When everything applied since the attempt began is a dirty commit of this tab (which takes no
   * locks in Mnesia: it never makes a transaction restart), moves the memory read versions forward
   * and returns true; otherwise returns false and changes nothing.
   */
  forgive(): boolean {
    const a = this.attempt
    const reads = this.reads
    if (!a || !reads || !a.onlyOwnDirty(this.node.applied)) return false
    const catalog = this.node.catalog
    for (const t of reads.tables.keys()) if (!catalog.tables.has(t)) return false
    for (const r of reads.keys) if (!catalog.tables.has(r.t)) return false
    for (const t of reads.tables.keys()) reads.tables.set(t, (catalog.tables.get(t) as TableRuntime).version)
    for (let i = 0; i < reads.keys.length; i++) {
      const r = reads.keys[i] as (typeof reads.keys)[number]
      const mem = (catalog.tables.get(r.t) as TableRuntime).mem
      if (mem) reads.keys[i] = { t: r.t, key: r.key, v: mem.slot(r.key)?.v ?? 0 }
    }
    a.advance(this.node.applied)
    return true
  }

  /**
   * {@link forgive}, and the disc_only_copies keys read by value are read again (their commit
   * validation compares values). For a commit refused only because of this tab's dirty commits.
   */
  async forgiveAll(): Promise<boolean> {
    const reads = this.reads
    if (!reads || !this.forgive()) return false
    const catalog = this.node.catalog
    for (let i = 0; i < reads.keys.length; i++) {
      const r = reads.keys[i] as (typeof reads.keys)[number]
      const disc = catalog.tables.get(r.t)?.disc
      if (!disc || catalog.tables.get(r.t)?.mem) continue
      reads.keys[i] = { t: r.t, key: r.key, v: canonical(await disc.read(r.key)) }
    }
    return true
  }

  /** True when every memory read of the transaction is still current. */
  stillValid(): boolean {
    const reads = this.reads
    if (!reads) return true
    const catalog = this.node.catalog
    for (const [t, v] of reads.tables) if (catalog.tables.get(t)?.version !== v) return false
    for (const r of reads.keys) {
      const rt = catalog.tables.get(r.t)
      if (!rt) return false
      if (rt.mem && (rt.mem.slot(r.key)?.v ?? 0) !== r.v) return false
    }
    return true
  }

  private noteTable(rt: TableRuntime): void {
    const reads = this.reads
    if (reads && !reads.tables.has(rt.def.name)) reads.tables.set(rt.def.name, rt.version)
  }

  /** Records a table-level read (table lock, scan). */
  lockTable(rt: TableRuntime): void {
    this.revalidate()
    this.noteTable(rt)
  }

  // ---- the write set chain ----

  private levels(): Access[] {
    const out: Access[] = [this]
    for (let a = this.parent; a; a = a.parent) out.unshift(a)
    return out
  }

  /** Whether this context or an enclosing one has intents on table `t` (no allocation). */
  private writesTable(t: string): boolean {
    if (this.writes.tables.has(t)) return true
    for (let a = this.parent; a !== null; a = a.parent) if (a.writes.tables.has(t)) return true
    return false
  }

  /** This context's pending intents for a key: whether the table was cleared first, and the intents. */
  pending(t: string, key: Key): { cleared: boolean; intents: PendingIntent[] } | null {
    let found: { cleared: boolean; intents: PendingIntent[] } | null = null
    for (const level of this.levels()) {
      const tw = level.writes.tables.get(t)
      if (!tw) continue
      if (tw.clear) found = { cleared: true, intents: [] }
      const kw = tw.keys.get(key)
      if (kw) {
        found ??= { cleared: false, intents: [] }
        found.intents.push(...kw.intents)
      }
    }
    return found
  }

  /** Whether the table was cleared in this context, and every key it has intents for. */
  private pendingTable(t: string): { cleared: boolean; keys: Key[] } | null {
    let cleared = false
    let any = false
    const keys = new KeyMap<Key>()
    for (const level of this.levels()) {
      const tw = level.writes.tables.get(t)
      if (!tw) continue
      any = true
      if (tw.clear) {
        cleared = true
        keys.clear()
      }
      for (const kw of tw.keys.values()) keys.set(kw.key, kw.key)
    }
    return any ? { cleared, keys: [...keys.values()] } : null
  }

  // ---- reads ----

  /** Committed records of a key, remembered in the read set. */
  private async committed(rt: TableRuntime, key: Key): Promise<readonly Rec[]> {
    if (rt.mem) {
      const slot = rt.mem.slot(key)
      this.reads?.keys.push({ t: rt.def.name, key, v: slot?.v ?? 0 })
      return slot?.recs ?? EMPTY
    }
    const recs = await (rt.disc as NonNullable<TableRuntime['disc']>).read(key)
    if (this.reads) {
      this.reads.keys.push({ t: rt.def.name, key, v: canonical(recs) })
      this.reads.discOnly.add(rt.def.name)
      this.revalidate()
    }
    return recs
  }

  /**
   * The records of a key when they can be had without waiting (a memory copy, no intents of this
   * context on the key), else undefined. Remembered in the read set like {@link read}.
   */
  readSync(rt: TableRuntime, key: Key): readonly Rec[] | undefined {
    if (!rt.mem) return undefined
    this.revalidate()
    if (this.reads && this.writesTable(rt.def.name) && this.pending(rt.def.name, key)) return undefined
    const slot = rt.mem.slot(key)
    this.reads?.keys.push({ t: rt.def.name, key, v: slot?.v ?? 0 })
    return slot?.recs ?? EMPTY
  }

  /** The records of a key as this context sees them. */
  async read(rt: TableRuntime, key: Key): Promise<readonly Rec[]> {
    this.revalidate()
    const p = this.reads ? this.pending(rt.def.name, key) : null
    if (!p) return this.committed(rt, key)
    const bag = rt.def.type === 'bag'
    const last = p.intents[p.intents.length - 1]
    // Intents that decide the result alone need no read of the committed state.
    const blind = p.cleared || (last !== undefined && (('w' in last && !bag) || ('d' in last)))
    const base = blind ? EMPTY : await this.committed(rt, key)
    if (blind && last !== undefined && !p.cleared) {
      return 'w' in last ? [last.w] : EMPTY
    }
    return applyPending(rt.def, key, base, p.intents)
  }

  /**
   * Records in term order of keys (reverse when asked) within bounds, in batches, merged with
   * this context's intents. Remembers a table-level read.
   */
  async *scan(rt: TableRuntime, bounds: Bounds, reverse: boolean, batch: number): AsyncGenerator<readonly Rec[]> {
    this.revalidate()
    this.noteTable(rt)
    const t = rt.def.name
    const pt = this.reads ? this.pendingTable(t) : null
    if (!pt) {
      for await (const recs of rt.reader.scan(bounds, reverse, batch)) {
        this.revalidate()
        yield recs
      }
      return
    }
    const dir = reverse ? -1 : 1
    const inBounds = (k: Key): boolean => {
      if (bounds.lower !== undefined) {
        const c = compareKeys(k, bounds.lower)
        if (c < 0 || (c === 0 && bounds.lowerOpen)) return false
      }
      if (bounds.upper !== undefined) {
        const c = compareKeys(k, bounds.upper)
        if (c > 0 || (c === 0 && bounds.upperOpen)) return false
      }
      return true
    }
    const wkeys = pt.keys.filter(inBounds).sort((a, b) => dir * compareKeys(a, b))
    let wi = 0
    let out: Rec[] = []
    const emitKey = (key: Key, base: readonly Rec[]): void => {
      const p = this.pending(t, key)
      const recs = p ? applyPending(rt.def, key, p.cleared ? EMPTY : base, p.intents) : base
      if (reverse) for (let i = recs.length - 1; i >= 0; i--) out.push(recs[i] as Rec)
      else out.push(...recs)
    }
    const flushBefore = (key: Key | undefined): void => {
      while (wi < wkeys.length && (key === undefined || dir * compareKeys(wkeys[wi], key) < 0)) {
        emitKey(wkeys[wi] as Key, EMPTY)
        wi++
      }
    }
    if (!pt.cleared) {
      let groupKey: Key | undefined
      let group: Rec[] = []
      const closeGroup = (): void => {
        if (groupKey === undefined) return
        flushBefore(groupKey)
        if (wi < wkeys.length && compareKeys(wkeys[wi], groupKey) === 0) {
          emitKey(groupKey, reverse ? group.reverse() : group)
          wi++
        } else if (reverse) for (let i = group.length - 1; i >= 0; i--) out.push(group[i] as Rec)
        else out.push(...group)
        groupKey = undefined
        group = []
      }
      for await (const recs of rt.reader.scan(bounds, reverse, batch)) {
        this.revalidate()
        for (const r of recs) {
          const k = keyOf(rt.def, r)
          if (groupKey !== undefined && compareKeys(k, groupKey) !== 0) closeGroup()
          groupKey = k
          group.push(r)
        }
        if (out.length >= batch) {
          yield out
          out = []
        }
      }
      closeGroup()
    }
    flushBefore(undefined)
    if (out.length > 0) yield out
  }

  /** Records whose `attr` deep-equals `value`, through the secondary index where there is one. */
  async indexRead(rt: TableRuntime, attr: string, value: unknown): Promise<Rec[]> {
    this.revalidate()
    if (!rt.def.attributes.includes(attr)) {
      throw new BadRecordError(`table ${rt.def.name} has no attribute ${attr}`)
    }
    this.noteTable(rt)
    const committed = await rt.reader.indexRead(attr, value)
    this.revalidate()
    const pt = this.reads ? this.pendingTable(rt.def.name) : null
    if (!pt) return [...committed]
    const c = canonical(value)
    const touched = new KeyMap<Key>()
    for (const k of pt.keys) touched.set(k, k)
    const out: Rec[] = pt.cleared ? [] : committed.filter((r) => !touched.has(keyOf(rt.def, r)))
    for (const k of pt.keys) {
      const p = this.pending(rt.def.name, k)
      const base = p && !p.cleared ? (rt.mem ? rt.mem.readSync(k) : await (rt.disc as NonNullable<TableRuntime['disc']>).read(k)) : EMPTY
      const recs = p ? applyPending(rt.def, k, base, p.intents) : base
      for (const r of recs) if (r[attr] !== undefined && canonical(r[attr]) === c) out.push(r)
    }
    // Merged with this transaction's writes, still in the table's order (a stable sort keeps a
    // bag key's records in their order).
    return out.sort((a, b) => compareKeys(keyOf(rt.def, a), keyOf(rt.def, b)))
  }

  /** Every key in term order, as this context sees the table. */
  async allKeys(rt: TableRuntime): Promise<Key[]> {
    this.revalidate()
    this.noteTable(rt)
    const pt = this.reads ? this.pendingTable(rt.def.name) : null
    if (!pt) return rt.reader.allKeys()
    const keys: Key[] = []
    for await (const recs of this.scan(rt, {}, false, 1000)) {
      for (const r of recs) {
        const k = keyOf(rt.def, r)
        if (keys.length === 0 || compareKeys(keys[keys.length - 1], k) !== 0) keys.push(k)
      }
    }
    return keys
  }

  /** first / last / next / prev in term order, as this context sees the table. */
  async step(rt: TableRuntime, from: Key | undefined, dir: 1 | -1): Promise<Key | undefined> {
    this.revalidate()
    this.noteTable(rt)
    const pt = this.reads ? this.pendingTable(rt.def.name) : null
    if (!pt) {
      const r = rt.reader
      if (from === undefined) return dir === 1 ? r.first() : r.last()
      return dir === 1 ? r.next(from) : r.prev(from)
    }
    // A context that wrote to the table walks the merged view (Mnesia warns this is slow too).
    const bounds: Bounds = from === undefined ? {} : dir === 1 ? { lower: from, lowerOpen: true } : { upper: from, upperOpen: true }
    for await (const recs of this.scan(rt, bounds, dir === -1, 1)) {
      const r = recs[0]
      if (r) return keyOf(rt.def, r)
    }
    return undefined
  }

  // ---- writes ----

  /** Records an intent (transaction) or commits it at once (dirty). Returns once accepted. */
  async write(rt: TableRuntime, key: Key, intent: Intent): Promise<void> {
    this.node.check()
    if (this.transactional) {
      this.writes.add(rt.def.name, key, intent)
      return
    }
    if (this.kind === 'ets') {
      this.etsWrite(rt, key, intent)
      return
    }
    const ws = new WriteSet()
    ws.add(rt.def.name, key, intent)
    await this.commitDirty(ws)
  }

  /**
   * An increment (counter.ts): in a transaction, recorded and resolved at commit, so concurrent
   * increments of one key commute (the value is not read: no conflict between them); in a dirty
   * context, committed at once; in an ets context, applied to memory at once.
   */
  async increment(rt: TableRuntime, key: Key, inc: Increment): Promise<void> {
    this.node.check()
    if (this.transactional) {
      this.writes.add(rt.def.name, key, inc)
      return
    }
    if (this.kind === 'ets') {
      this.etsWrite(rt, key, resolveIncrement(rt.def, key, rt.mem?.readSync(key) ?? EMPTY, inc))
      return
    }
    const ws = new WriteSet()
    ws.add(rt.def.name, key, inc)
    await this.commitDirty(ws)
  }

  /** Clears a table (transaction: at commit; dirty: now). */
  async clear(rt: TableRuntime): Promise<void> {
    if (this.transactional) {
      this.writes.clear(rt.def.name)
      return
    }
    const ws = new WriteSet()
    ws.clear(rt.def.name)
    await this.commitDirty(ws)
  }

  /** Commits a dirty write set: no validation, no retry. */
  async commitDirty(ws: WriteSet): Promise<number[]> {
    // Running transactions of this tab learn of it before anything sees it (attempts.ts).
    const attempts = attemptsOf(this.node)
    const r = await this.committer.submit({ reads: null, writes: ws, onApply: (lsn) => attempts.dirtyApplied(lsn) })
    if (r === 'conflict') throw new WebnesiaError('aborted', 'dirty commit refused')
    return r.counters
  }

  private etsWrite(rt: TableRuntime, key: Key, intent: Intent): void {
    if (rt.def.storage !== 'ram_copies' || !rt.mem) {
      throw new WebnesiaError('bad_type', `ets context: ${rt.def.name} is not a ram_copies table`)
    }
    const old = rt.mem.readSync(key)
    const recs = applyIntents(old, [intent], rt.def.type === 'bag')
    rt.mem.apply({ key, old, recs }, rt.mem.slot(key)?.v ?? 0)
  }
}
