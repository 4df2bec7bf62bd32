/**
 * Replication of one node (Mnesia's mnesia_controller + mnesia_loader), run by the node's leader
 * tab while it has joined a room.
 *
 *   local commits ──► LocalNode.onApplied ──► ReplicaDoc.applyLocal (one doc transaction, LOCAL)
 *                       ──► doc 'update' ──► UPDATE to every peer, persisted in the `ydoc` store
 *   peer UPDATE / SYNC2 ──► checkUpdate (guard.ts) ──► Y.applyUpdate (origin: the peer)
 *                       ──► changed keys ──► one commit with origin 'peer' through the Committer
 *                           (the records are read from the doc inside the commit) ──► ACK
 *
 * Every tab sees remote changes through the commit log like any other commit; only this tab
 * holds the document and the connections. On start the document is loaded from the `ydoc`
 * store and reconciled with the tables (commits made while no tab replicated enter it then).
 *
 * Schema: the doc's `schema` and `copies` maps say which tables exist and which nodes hold which
 * copies; {@link Replicator.syncSchema} makes the local catalog follow them (creating copies of
 * the tables a joining node does not have yet, as seed 000's join does: "add a copy of every
 * table, then read everything back").
 *
 * Partitions: while a peer seen before is away, the tables this node writes are remembered; the
 * HELLO on reconnection carries them. When both sides wrote, `inconsistent_database` is emitted;
 * for tables whose master nodes include this node and not the peer, the master re-asserts its
 * records for every key the peer's changes touched, so its version wins on every node.
 *
 * @module
 */
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import { fire, META, YDOC } from '../log/connection.js'
import type { LogEntry } from '../log/entry.js'
import type { LocalNode } from '../node.js'
import * as ddl from '../schema/ddl.js'
import { makeTableDef, storeName, type StorageType, type TableDef } from '../schema/table-def.js'
import { groupRows } from '../storage/idb-table.js'
import { importRecord, type Rec } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'
import type { Committer, PeerChange } from '../txn/committer.js'
import { WriteSet } from '../txn/write-set.js'
import { decodeValue, encodeRecords, keyString, parseKeyString } from './codec.js'
import { clusterDef, copyKey, LOADED, LOCAL, ReplicaDoc, type ClusterDef } from './doc.js'
import { Faults, type FaultOptions } from './faults.js'
import { checkUpdate } from './guard.js'
import { decodeFrame, Reassembler, sendMessage, type Message, type Pipe } from './wire.js'

/** Options of a replicator. */
export interface ReplicatorOptions {
  /** Storage type of the copies this node adds when it joins (default 'disc_copies'). */
  copyType?: StorageType
  /** Fault injection on every pipe (tests). */
  faults?: FaultOptions
  /** Anti-entropy: every this many ms each peer is asked for what this node lacks (default 5000; 0: never). */
  resyncMs?: number
  /** How long a sync transaction waits for acknowledgements (default 5000 ms). */
  ackTimeoutMs?: number
  /** Keys per commit while copying a table (default 5000). */
  copyBatch?: number
}

/** One connection to a peer. */
class Peer {
  node: string | null = null
  closed = false
  /** Cut by the fault hook: nothing goes in or out, the peer counts as down. */
  cut = false
  readonly reasm = new Reassembler()
  /** Tables whose keys this node re-asserts when the peer's changes arrive (master nodes). */
  reassert = new Set<string>()
  acked = 0
  constructor(readonly pipe: Pipe) {}
}

interface Waiter {
  seq: number
  nodes: Set<string>
  resolve: (unreached: string[]) => void
  timer: ReturnType<typeof setTimeout>
}

/** The replication engine of a node. */
export class Replicator {
  readonly rdoc = new ReplicaDoc()
  readonly faults: Faults
  private readonly peers = new Set<Peer>()
  /** Node id → number of live (not cut) pipes after HELLO. */
  private readonly up = new Map<string, number>()
  /** Node seen before and now away → tables written here since it left (kept across reloads). */
  private readonly apart = new Map<string, Set<string>>()
  /** Nodes this node has met (HELLO), kept across reloads: away until they say HELLO again. */
  private readonly known = new Set<string>()
  private partitionTimer: ReturnType<typeof setTimeout> | null = null
  private queue: Promise<void> = Promise.resolve()
  private seq = 0
  /** [lsn, seq]: the doc update number of this node's commits, in LSN order (acks). */
  private readonly seqOfLsn: [number, number][] = []
  private readonly waiters = new Set<Waiter>()
  private currentAck = 0
  /** Tables whose local copy is being dropped (delTableCopy), not deleted everywhere. */
  private readonly droppingCopy = new Set<string>()
  private pendingPersist: Uint8Array[] = []
  private persistTimer: ReturnType<typeof setTimeout> | null = null
  private resyncTimer: ReturnType<typeof setInterval> | null = null
  private stopped = false
  /** Withdraws this replicator's hooks and services from the node (node/hooks.ts). */
  private readonly unhook: (() => void)[] = []
  private readonly copyType: StorageType
  private readonly opts: ReplicatorOptions

  constructor(
    private readonly node: LocalNode,
    private readonly committer: Committer,
    opts: ReplicatorOptions = {},
  ) {
    this.opts = opts
    this.copyType = opts.copyType ?? 'disc_copies'
    this.faults = new Faults(opts.faults)
  }

  get self(): string {
    return this.node.nodeId
  }

  /** Node ids of the peers connected now. */
  connected(): string[] {
    return [...this.up.keys()].sort()
  }

  /** Loads the persisted document, reconciles it with the tables, and starts following the log. */
  async start(): Promise<void> {
    const node = this.node
    let db = await node.conn.get()
    if (!db.objectStoreNames.contains(YDOC)) {
      await node.conn.upgrade(async (d) => {
        if (!d.objectStoreNames.contains(YDOC)) d.createObjectStore(YDOC, { autoIncrement: true })
        return Promise.resolve()
      })
      db = await node.conn.get()
    }
    const stored = (await db.getAll(YDOC)) as Uint8Array[]
    if (stored.length > 0) {
      const merged = Y.mergeUpdates(stored)
      Y.applyUpdate(this.rdoc.doc, merged, LOADED)
      if (stored.length > 1) {
        // Compact: one update instead of many.
        const tx = db.transaction(YDOC, 'readwrite')
        fire(tx.store.clear())
        fire(tx.store.add(merged))
        await tx.done
      }
    }
    // The partition bookkeeping of the last run: every node met before is away until its HELLO.
    const saved = (await db.get(META, PARTITION)) as unknown
    if (isSavedPartition(saved)) {
      const apart = new Map(saved.apart)
      for (const n of saved.known) {
        this.known.add(n)
        this.apart.set(n, new Set(apart.get(n) ?? []))
      }
    }
    await node.catchUp()
    this.rdoc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      this.onDocUpdate(update, origin)
    })
    this.rdoc.doc.on('afterTransaction', (tr: Y.Transaction) => {
      this.afterTransaction(tr)
    })
    this.unhook.push(
      node.hooks.onApplied((entry) => {
        this.onLocalEntry(entry)
      }),
    )
    // Entries applied while reconcile awaits reads enter the doc through onApplied; a pass that
    // overlapped them may have written an older value over theirs: run again until none did.
    for (;;) {
      const at = node.applied
      await this.reconcile()
      if (node.applied === at) break
    }
    this.unhook.push(node.hooks.provide('replicated', (lsn) => this.waitReplicated(lsn)))
    // Tables the document knows and this node has no copy of yet.
    this.enqueue(() => this.syncSchema())
    const every = this.opts.resyncMs ?? 5000
    if (every > 0) {
      this.resyncTimer = setInterval(() => {
        this.resync()
      }, every)
      ;(this.resyncTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Stops replicating: closes every pipe, stops following the log. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.resyncTimer) clearInterval(this.resyncTimer)
    for (const off of this.unhook.splice(0)) off()
    for (const p of [...this.peers]) {
      p.pipe.close()
      this.dropPeer(p)
    }
    await this.queue.catch(() => undefined)
    await this.flushPersist()
    await this.flushPartition().catch(() => undefined)
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve([...w.nodes])
    }
    this.waiters.clear()
    this.rdoc.doc.destroy()
  }

  // ---- pipes ----

  /** Takes a new connection to a peer. */
  attach(pipe: Pipe): void {
    if (this.stopped) {
      pipe.close()
      return
    }
    const peer = new Peer(pipe)
    this.peers.add(peer)
    // HELLO first: frames that arrived before this side listened are handed over in onData, and
    // the peer's HELLO among them would otherwise clear what this HELLO must tell (`apart`).
    this.greet(peer)
    pipe.onData((frame) => {
      this.receive(peer, frame)
    })
    pipe.onClose(() => {
      this.dropPeer(peer)
    })
  }

  private greet(peer: Peer): void {
    const apart: string[] = []
    for (const [n, tables] of this.apart) for (const t of tables) apart.push(`${n}\u0000${t}`)
    this.send(peer, { kind: 'hello', node: this.self, apart })
    this.send(peer, { kind: 'sync1', sv: Y.encodeStateVector(this.rdoc.doc) })
  }

  private send(peer: Peer, m: Message): void {
    if (peer.closed || peer.cut) return
    this.faults.deliver(() => {
      if (peer.closed || peer.cut) return
      try {
        sendMessage(peer.pipe, m)
      } catch {
        // a closing pipe: its close handler drops the peer
      }
    })
  }

  private receive(peer: Peer, frame: Uint8Array): void {
    if (peer.closed || peer.cut || this.stopped) return
    let m: Message
    try {
      const whole = peer.reasm.take(frame)
      if (!whole) return
      m = decodeFrame(whole)
      this.handle(peer, m)
    } catch (e) {
      this.reject(peer, e)
    }
  }

  /** A peer sent something malformed: report it and drop the peer. */
  private reject(peer: Peer, e: unknown): void {
    const err = e instanceof WebnesiaError ? e : new WebnesiaError('bad_update', `bad message: ${String(e)}`)
    this.node.systemEvent({ type: 'peer_rejected', node: peer.node ?? 'unknown', reason: err.message })
    peer.pipe.close()
    this.dropPeer(peer)
  }

  private handle(peer: Peer, m: Message): void {
    switch (m.kind) {
      case 'hello':
        this.hello(peer, m.node, m.apart)
        break
      case 'sync1': {
        let update: Uint8Array
        try {
          update = Y.encodeStateAsUpdate(this.rdoc.doc, m.sv)
        } catch {
          throw new WebnesiaError('bad_update', 'malformed state vector')
        }
        this.send(peer, { kind: 'sync2', update })
        break
      }
      case 'sync2':
        this.applyRemote(peer, m.update, 0)
        if (peer.reassert.size > 0) {
          const done = peer.reassert
          this.enqueue(() => {
            if (peer.reassert === done) peer.reassert = new Set()
            return Promise.resolve()
          })
        }
        break
      case 'update':
        this.applyRemote(peer, m.update, m.ack)
        break
      case 'ack':
        if (m.ack > peer.acked) peer.acked = m.ack
        this.checkWaiters()
        break
    }
  }

  private hello(peer: Peer, node: string, apartPairs: string[]): void {
    if (node === this.self) throw new WebnesiaError('bad_update', 'a peer claims this node id')
    if (peer.node !== null && peer.node !== node) throw new WebnesiaError('bad_update', 'a peer changed its node id')
    const first = peer.node === null
    peer.node = node
    // What changed on the peer's side while this node was away from it.
    const theirs = new Set<string>()
    for (const pair of apartPairs) {
      const i = pair.indexOf('\u0000')
      if (i > 0 && pair.slice(0, i) === this.self) theirs.add(pair.slice(i + 1))
    }
    const mine = this.apart.get(node) ?? new Set<string>()
    this.apart.delete(node)
    this.known.add(node)
    this.savePartition()
    if (theirs.size > 0 && mine.size > 0) {
      this.node.systemEvent({ type: 'inconsistent_database', tables: [...new Set([...theirs, ...mine])].sort(), nodes: [node] })
    }
    for (const t of theirs) {
      const rt = this.node.catalog.tables.get(t)
      const masters = rt?.def.masterNodes ?? []
      if (masters.includes(this.self) && !masters.includes(node)) peer.reassert.add(t)
    }
    if (first) {
      this.nodeUp(node)
      // Ask for everything it has: an earlier SYNC1 may have reached it while it was cut off.
      this.send(peer, { kind: 'sync1', sv: Y.encodeStateVector(this.rdoc.doc) })
    }
  }

  private nodeUp(node: string): void {
    const n = this.up.get(node) ?? 0
    this.up.set(node, n + 1)
    if (n === 0) this.node.systemEvent({ type: 'node_up', node })
  }

  private nodeDown(node: string): void {
    const n = (this.up.get(node) ?? 1) - 1
    if (n > 0) {
      this.up.set(node, n)
      return
    }
    this.up.delete(node)
    if (!this.apart.has(node)) this.apart.set(node, new Set())
    this.savePartition()
    this.node.systemEvent({ type: 'node_down', node })
    this.checkWaiters()
  }

  private dropPeer(peer: Peer): void {
    if (peer.closed) return
    peer.closed = true
    this.peers.delete(peer)
    if (peer.node !== null && !peer.cut) this.nodeDown(peer.node)
  }

  // ---- fault hook: partitions ----

  /** Cuts every connection to the given nodes (both directions), as a network partition would. */
  partition(nodes: readonly string[]): void {
    for (const p of this.peers) {
      if (p.node !== null && nodes.includes(p.node) && !p.cut) {
        p.cut = true
        this.nodeDown(p.node)
      }
    }
  }

  /** Restores every cut connection: the peers greet and sync again. */
  heal(): void {
    for (const p of this.peers) {
      if (!p.cut) continue
      p.cut = false
      const node = p.node
      p.node = null
      p.acked = 0
      this.greet(p)
      if (node === null) continue
    }
  }

  /**
   * Sends raw frames to a connected node, bypassing the protocol (tests of hostile input: this
   * node plays the malicious peer). Returns false when the node is not connected.
   * @internal
   */
  sendRaw(node: string, frames: readonly Uint8Array[]): boolean {
    const p = [...this.peers].find((x) => x.node === node && !x.cut)
    if (!p) return false
    for (const f of frames) p.pipe.send(f)
    return true
  }

  /** Asks every peer for what this node lacks (anti-entropy; also after dropped messages). */
  resync(): void {
    const sv = Y.encodeStateVector(this.rdoc.doc)
    for (const p of this.peers) this.send(p, { kind: 'sync1', sv })
  }

  // ---- local → document ----

  private onLocalEntry(entry: LogEntry): void {
    if (entry.peer !== undefined || this.stopped) return
    const before = this.seq
    this.rdoc.applyLocal(
      entry,
      this.self,
      (t) => this.node.catalog.tables.get(t)?.def,
      (t) => this.droppingCopy.has(t),
    )
    if (this.seq !== before) this.seqOfLsn.push([entry.lsn, this.seq])
    if (this.seqOfLsn.length > 10_000) this.seqOfLsn.splice(0, 5_000)
  }

  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === LOADED || this.stopped) return
    if (origin === LOCAL) {
      const ack = ++this.seq
      for (const p of this.peers) this.send(p, { kind: 'update', update, ack })
      this.persist(update)
      return
    }
    // From a peer: pass it on to the others (a partial mesh still converges).
    for (const p of this.peers) if (p !== origin) this.send(p, { kind: 'update', update, ack: 0 })
  }

  private afterTransaction(tr: Y.Transaction): void {
    if (tr.origin === LOADED) return
    const tables = new Map<string, Set<string>>()
    let schema = false
    for (const [type, keys] of tr.changed) {
      const name = this.rdoc.rootName(type as Y.AbstractType<unknown>)
      if (name === null) continue
      if (name === 'schema' || name === 'copies') {
        schema = true
        continue
      }
      const cookie = name.slice(2)
      let set = tables.get(cookie)
      if (!set) tables.set(cookie, (set = new Set()))
      for (const k of keys) if (k !== null) set.add(k)
    }
    // Remember what changed here (written here, or received from the peers on this side) while
    // peers this node knows are away: the HELLO on their return says so.
    if (this.apart.size > 0 && tables.size > 0) {
      const names = [...tables.keys()].map((c) => this.tableOfCookie(c)).filter((t): t is string => t !== null)
      let grew = false
      for (const set of this.apart.values()) {
        for (const t of names) {
          if (set.has(t)) continue
          set.add(t)
          grew = true
        }
      }
      if (grew) this.savePartition()
    }
    if (tr.origin === LOCAL) return
    const peer = tr.origin as Peer
    const ack = this.currentAck
    const update = this.currentUpdate
    this.enqueue(async () => {
      if (schema) {
        await this.syncSchema()
        // Copies or definitions changed somewhere in the cluster (tableInfo's copy lists move).
        this.node.systemEvent({ type: 'schema_replicated', from: peer.node ?? 'unknown' })
      }
      if (peer.reassert.size > 0) await this.reassert(peer, tables)
      const invalid = await this.commitRemote(peer.node ?? 'unknown', tables)
      if (invalid > 0) this.reject(peer, new WebnesiaError('bad_update', `${String(invalid)} invalid records from ${peer.node ?? 'a peer'} were not applied`))
      if (update) this.persist(update)
      if (ack > 0) this.send(peer, { kind: 'ack', ack })
    })
  }

  private currentUpdate: Uint8Array | null = null

  private applyRemote(peer: Peer, update: Uint8Array, ack: number): void {
    checkUpdate(update, (root, value) => {
      this.validateValue(root, value)
    })
    this.currentAck = ack
    this.currentUpdate = update
    try {
      Y.applyUpdate(this.rdoc.doc, update, peer)
    } catch (e) {
      throw new WebnesiaError('bad_update', `update rejected by the document: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      this.currentAck = 0
      this.currentUpdate = null
    }
  }

  /** Records written into a table this node holds must fit its definition. */
  private validateValue(root: string, value: unknown): void {
    if (!root.startsWith('t:')) return
    const name = this.tableOfCookie(root.slice(2))
    if (name === null) return
    const def = this.node.catalog.get(name).def
    for (const r of value as unknown[]) importRecord(def, decodeValue(r))
    if (def.type !== 'bag' && (value as unknown[]).length !== 1) throw new WebnesiaError('bad_update', `${name}: a key of a set holds one record`)
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((e: unknown) => {
      if (!this.stopped) this.node.reportError(e)
    })
  }

  /** Resolves when no remote change waits to be committed (tests, tools). */
  async idle(): Promise<void> {
    let q: Promise<void>
    do {
      q = this.queue
      await q
    } while (q !== this.queue)
    await this.faults.settled()
  }

  private tableOfCookie(cookie: string): string | null {
    for (const rt of this.node.catalog.tables.values()) if (rt.def.cookie === cookie) return rt.def.name
    return null
  }

  /** The records of a key in the document, validated against the local definition. */
  private target(def: TableDef, ks: string): readonly Rec[] | undefined {
    const raw = this.rdoc.table(def.cookie).get(ks)
    if (raw === undefined) return []
    try {
      if (!Array.isArray(raw)) throw new WebnesiaError('bad_update', 'not an array of records')
      const recs = raw.map((r) => importRecord(def, decodeValue(r)))
      if (def.type !== 'bag' && recs.length !== 1) throw new WebnesiaError('bad_update', 'a set key holds one record')
      for (const r of recs) if (keyString(r[def.attributes[0] as string] as Key) !== ks) throw new WebnesiaError('bad_update', 'record under a foreign key')
      if (def.type === 'bag') recs.sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1))
      return recs
    } catch {
      return undefined
    }
  }

  /** Commits a peer's changed keys; returns how many keys held invalid records (not applied). */
  private async commitRemote(from: string, tables: Map<string, Set<string>>): Promise<number> {
    const keys = new Map<string, Key[]>()
    let bad = 0
    for (const [cookie, ks] of tables) {
      const name = this.tableOfCookie(cookie)
      if (name === null || ks.size === 0) continue
      const list: Key[] = []
      for (const k of ks) {
        try {
          list.push(parseKeyString(k))
        } catch {
          bad++
        }
      }
      keys.set(name, list)
    }
    if (keys.size === 0) return bad
    return bad + (await this.commitPeerChange(from, keys))
  }

  /** Commits the document's records of `keys`; returns how many keys held invalid records. */
  private async commitPeerChange(from: string, keys: Map<string, Key[]>): Promise<number> {
    const invalid = new Set<string>()
    const change: PeerChange = {
      node: from,
      keys,
      target: (t, key) => {
        const rt = this.node.catalog.tables.get(t)
        if (!rt) return undefined
        const ks = keyString(key)
        const recs = this.target(rt.def, ks)
        if (recs === undefined) invalid.add(`${t}\u0000${ks}`)
        return recs
      },
    }
    const r = await this.committer.submit({ reads: null, writes: new WriteSet(), peer: change })
    if (r === 'conflict') throw new WebnesiaError('aborted', 'a peer change conflicted (cannot happen)')
    return invalid.size
  }

  /** Re-asserts this node's records for keys a peer changed while apart (master nodes). */
  private async reassert(peer: Peer, tables: Map<string, Set<string>>): Promise<void> {
    const writes: [string, Key, readonly Rec[]][] = []
    for (const [cookie, ks] of tables) {
      const name = this.tableOfCookie(cookie)
      if (name === null || !peer.reassert.has(name)) continue
      const rt = this.node.catalog.get(name)
      for (const k of ks) {
        const key = parseKeyString(k)
        writes.push([rt.def.cookie, key, await rt.reader.read(key)])
      }
    }
    if (writes.length === 0) return
    this.rdoc.doc.transact(() => {
      for (const [cookie, key, recs] of writes) this.rdoc.setKey(cookie, key, recs)
    }, LOCAL)
  }

  // ---- schema ----

  /** Makes the local catalog follow the document's schema and copies maps. */
  async syncSchema(): Promise<void> {
    const node = this.node
    const docNames = new Set<string>()
    for (const [name, cdef] of [...this.rdoc.schema.entries()]) {
      docNames.add(name)
      if (!validClusterDef(name, cdef)) continue
      const mine = this.rdoc.copies.get(copyKey(name, this.self))
      const rt = node.catalog.tables.get(name)
      if (rt?.def.localContent) continue
      if (rt && rt.def.cookie !== cdef.cookie) {
        // Two nodes created this table apart and the cluster chose the other incarnation: take
        // it, and keep this node's records whose keys it lacks (when the definitions agree).
        const keep = canonical(rt.def.attributes) === canonical(cdef.attributes) && rt.def.type === cdef.type ? await this.recordsOf(rt.def) : []
        await ddl.deleteTable(node, name)
        await this.adopt(cdef, mine ?? this.copyType)
        if (keep.length > 0) await this.mergeIn(name, keep)
        continue
      }
      if (!rt) {
        if (mine === null) continue
        await this.adopt(cdef, mine ?? this.copyType)
        continue
      }
      if (mine === null) {
        this.droppingCopy.add(name)
        try {
          await ddl.deleteTable(node, name)
        } finally {
          this.droppingCopy.delete(name)
        }
        continue
      }
      if (mine !== undefined && mine !== rt.def.storage) await ddl.changeStorage(node, name, mine)
      const cur = clusterDef(rt.def)
      if (canonical(cur) !== canonical(cdef)) await ddl.redefineTable(node, name, cdef)
    }
    // Tables deleted elsewhere: in the catalog and replicated, but no longer in the schema map
    // while this node's copy entry is gone too.
    for (const rt of [...node.catalog.tables.values()]) {
      if (rt.def.localContent || docNames.has(rt.def.name)) continue
      if (this.rdoc.copies.has(copyKey(rt.def.name, this.self))) continue
      await ddl.deleteTable(node, rt.def.name)
    }
  }

  private async recordsOf(def: TableDef): Promise<Rec[]> {
    const rt = this.node.catalog.get(def.name)
    const out: Rec[] = []
    if (rt.mem) {
      for (const s of rt.mem.slots()) out.push(...s.recs)
    } else {
      const db = await this.node.conn.get()
      groupRows(def, await db.getAll(storeName(def)), (_k, recs) => out.push(...recs))
    }
    return out
  }

  /** Writes records whose keys the table lacks, as this node's own commit (they replicate). */
  private async mergeIn(table: string, recs: readonly Rec[]): Promise<void> {
    const rt = this.node.catalog.get(table)
    const ws = new WriteSet()
    for (const r of recs) {
      const key = r[rt.def.attributes[0] as string] as Key
      if ((await rt.reader.read(key)).length === 0 || rt.def.type === 'bag') ws.add(table, key, { w: r })
    }
    if (ws.tables.size > 0) await this.committer.submit({ reads: null, writes: ws })
  }

  /** Adds a local copy of a table the document knows, and reads its records. */
  private async adopt(cdef: ClusterDef, storage: StorageType): Promise<void> {
    const def: TableDef = { ...cdef, storage, localContent: false, version: 1 }
    this.node.systemEvent({ type: 'copy_started', table: cdef.name })
    try {
      await this.copyIn(cdef, storage, def)
    } catch (e) {
      this.node.copying.delete(cdef.name)
      throw e
    }
    this.node.systemEvent({ type: 'table_copied', table: cdef.name, node: this.self })
  }

  private async copyIn(cdef: ClusterDef, storage: StorageType, def: TableDef): Promise<void> {
    await ddl.adoptTable(this.node, def)
    if (this.rdoc.copies.get(copyKey(cdef.name, this.self)) !== storage) {
      this.rdoc.doc.transact(() => {
        this.rdoc.copies.set(copyKey(cdef.name, this.self), storage)
      }, LOCAL)
    }
    const map = this.rdoc.table(cdef.cookie)
    const all = [...map.keys()]
    const batch = this.opts.copyBatch ?? 5000
    for (let i = 0; i < all.length; i += batch) {
      const keys: Key[] = []
      for (const k of all.slice(i, i + batch)) {
        try {
          keys.push(parseKeyString(k))
        } catch (e) {
          this.node.reportError(e)
        }
      }
      const bad = await this.commitPeerChange('copy', new Map([[cdef.name, keys]]))
      if (bad > 0) this.node.reportError(new WebnesiaError('bad_update', `${cdef.name}: ${String(bad)} invalid records were not copied`))
      this.node.systemEvent({ type: 'copy_progress', table: cdef.name, done: Math.min(i + batch, all.length), total: all.length })
    }
  }

  /**
   * Pushes into the document whatever the tables hold that it does not (commits made while no
   * tab replicated), and drops what the tables no longer hold.
   */
  private async reconcile(): Promise<void> {
    const node = this.node
    const contents: { def: TableDef; slots: Map<string, readonly Rec[]> }[] = []
    for (const rt of node.catalog.tables.values()) {
      if (rt.def.localContent) continue
      const slots = new Map<string, readonly Rec[]>()
      if (rt.mem) {
        for (const s of rt.mem.slots()) slots.set(keyString(s.key), s.recs)
      } else {
        const db = await node.conn.get()
        groupRows(rt.def, await db.getAll(storeName(rt.def)), (key, recs) => slots.set(keyString(key), recs))
      }
      contents.push({ def: rt.def, slots })
    }
    const rdoc = this.rdoc
    rdoc.doc.transact(() => {
      for (const { def, slots } of contents) {
        const cdef = clusterDef(def)
        const cur = rdoc.schema.get(def.name)
        if (!cur || canonical(cur) !== canonical(cdef)) rdoc.schema.set(def.name, cdef)
        if (rdoc.copies.get(copyKey(def.name, this.self)) !== def.storage) rdoc.copies.set(copyKey(def.name, this.self), def.storage)
        const map = rdoc.table(def.cookie)
        for (const [k, recs] of slots) {
          const v = map.get(k)
          if (v === undefined || canonical(v) !== canonical(encodeRecords(recs))) rdoc.setKey(def.cookie, recsKey(def, recs), recs)
        }
        for (const k of [...map.keys()]) if (!slots.has(k)) map.delete(k)
      }
      // Tables this node held a copy of and deleted while nobody replicated.
      for (const [name, cdef] of [...rdoc.schema.entries()]) {
        const mine = rdoc.copies.get(copyKey(name, this.self))
        if (mine && !node.catalog.tables.has(name)) {
          rdoc.schema.delete(name)
          rdoc.copies.delete(copyKey(name, this.self))
          for (const k of [...rdoc.table(cdef.cookie).keys()]) rdoc.table(cdef.cookie).delete(k)
        }
      }
    }, LOCAL)
  }

  // ---- table copies ----

  /** Sets a node's copy of a table in the document (the node follows when it sees it). */
  async setCopy(table: string, node: string, storage: StorageType | null): Promise<void> {
    const cdef = this.rdoc.schema.get(table)
    if (!cdef) throw new WebnesiaError('no_exists', `${table}: not a replicated table`)
    this.rdoc.doc.transact(() => {
      this.rdoc.copies.set(copyKey(table, node), storage)
    }, LOCAL)
    if (node === this.self) {
      this.enqueue(() => this.syncSchema())
      await this.queue
    }
  }

  // ---- acknowledgements ----

  /** Waits until every peer connected now acknowledged the doc change of commit `lsn`. */
  async waitReplicated(lsn: number): Promise<string[]> {
    await this.node.waitApplied(lsn)
    let seq = 0
    for (let i = this.seqOfLsn.length - 1; i >= 0; i--) {
      const [l, s] = this.seqOfLsn[i] as [number, number]
      if (l <= lsn) {
        seq = s
        break
      }
    }
    if (seq === 0) return []
    const nodes = new Set<string>()
    for (const p of this.peers) if (p.node !== null && !p.cut && p.acked < seq) nodes.add(p.node)
    if (nodes.size === 0) return []
    return new Promise((resolve) => {
      const w: Waiter = {
        seq,
        nodes,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w)
          resolve([...w.nodes].sort())
        }, this.opts.ackTimeoutMs ?? 5000),
      }
      this.waiters.add(w)
    })
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      for (const n of [...w.nodes]) {
        const pipes = [...this.peers].filter((p) => p.node === n && !p.cut)
        if (pipes.some((p) => p.acked >= w.seq)) w.nodes.delete(n)
      }
      const unreached = [...w.nodes].filter((n) => !this.up.has(n))
      if (w.nodes.size === unreached.length) {
        clearTimeout(w.timer)
        this.waiters.delete(w)
        w.resolve(unreached.sort())
      }
    }
  }

  // ---- persistence ----

  /** Keeps the partition bookkeeping (`known`, `apart`) in `meta`, soon (one write per burst). */
  private savePartition(): void {
    this.partitionTimer ??= setTimeout(() => {
      void this.flushPartition().catch((e: unknown) => {
        this.node.reportError(e)
      })
    }, 20)
  }

  private async flushPartition(): Promise<void> {
    if (!this.partitionTimer) return
    clearTimeout(this.partitionTimer)
    this.partitionTimer = null
    if (this.node.closed) return
    const saved: SavedPartition = { known: [...this.known], apart: [...this.apart].map(([n, tables]) => [n, [...tables]]) }
    const db = await this.node.conn.get()
    await db.put(META, saved, PARTITION)
  }

  private persist(update: Uint8Array): void {
    this.pendingPersist.push(update)
    this.persistTimer ??= setTimeout(() => {
      void this.flushPersist().catch((e: unknown) => {
        this.node.reportError(e)
      })
    }, 20)
  }

  private async flushPersist(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = null
    const batch = this.pendingPersist
    this.pendingPersist = []
    if (batch.length === 0 || this.node.closed) return
    const db = await this.node.conn.get()
    const tx = db.transaction(YDOC, 'readwrite')
    fire(tx.store.add(batch.length === 1 ? (batch[0] as Uint8Array) : Y.mergeUpdates(batch)))
    await tx.done
  }
}

/** The `meta` key of the partition bookkeeping. */
const PARTITION = 'partition'

/** The partition bookkeeping as kept in `meta`. */
interface SavedPartition {
  known: string[]
  /** [node, tables changed here while it was away] */
  apart: [string, string[]][]
}

function isSavedPartition(v: unknown): v is SavedPartition {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Partial<SavedPartition>
  const strings = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => typeof x === 'string')
  return strings(s.known) && Array.isArray(s.apart) && s.apart.every((p) => Array.isArray(p) && typeof p[0] === 'string' && strings(p[1]))
}

function recsKey(def: TableDef, recs: readonly Rec[]): Key {
  return (recs[0] as Rec)[def.attributes[0] as string] as Key
}

function validClusterDef(name: string, d: unknown): d is ClusterDef {
  if (typeof d !== 'object' || d === null) return false
  const c = d as Partial<ClusterDef>
  if (c.name !== name || typeof c.cookie !== 'string' || !Array.isArray(c.masterNodes)) return false
  try {
    makeTableDef(name, c as ClusterDef, c.cookie)
    return true
  } catch {
    return false
  }
}
