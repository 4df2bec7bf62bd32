/**
 * A peer's update, from the wire to the tables (the receiving half of the protocol):
 *
 *     SYNC2 / UPDATE(ack) ──► queued, in arrival order; then, one update at a time:
 *         checkUpdate (guard.ts: shape, counts; records fit the table; no deletes of
 *         clocks this node lacks; no gaps, no unknown origins: left out, SYNC1 to the peer)
 *         ──► Y.applyUpdate (origin: the Peer) ──► the doc's afterTransaction, at once:
 *             changed keys by table cookie, schema/copies touched?
 *         ──► schema touched ──► Loader.syncSchema, `schema_replicated`
 *             peer.reassert (partitions.ts) ──► this node's records back into the doc
 *             remote policies (policy.ts) ──► refused keys: not committed, written back
 *             commitRemote (doc-commit.ts) ──► invalid records: the peer is rejected
 *             the update persisted (doc-store.ts) ──► ACK(ack) to the peer, once the updates
 *             queued behind it are committed too (one ACK for a burst)
 *
 * An update enters the document only once the one before it is committed. The commit reads the
 * document's records of the changed keys as they are then (doc-commit.ts), so it must not see a
 * later update: a later update's overwrites without its new keys would be a state no node
 * committed (a peer's transaction seen in parts), and its values would be committed before the
 * policies screened them.
 *
 * @module
 */
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import { makeTableDef, type TableDef } from '../schema/table-def.js'
import { importRecord } from '../storage/record.js'
import { decodeValue, keyString, parseKeyString } from './codec.js'
import { tableOfCookie, type ReplicationContext } from './context.js'
import { commitRemote } from './doc-commit.js'
import type { ReplicaDoc } from './doc.js'
import type { DocStore } from './doc-store.js'
import { inspectUpdate, type ItemPlace } from './guard.js'
import { validClusterDef, type Loader } from './loader.js'
import type { Partitions } from './partitions.js'
import type { Peer, Peers } from './peers.js'
import type { Screen } from './policy.js'

/** What a document transaction changed: keys by table cookie, and whether it touched the schema. */
export interface DocChange {
  tables: Map<string, Set<string>>
  schema: boolean
}

/** The roots a document transaction changed. */
export function changeOf(rdoc: ReplicaDoc, tr: Y.Transaction): DocChange {
  const tables = new Map<string, Set<string>>()
  let schema = false
  for (const [type, keys] of tr.changed) {
    const name = rdoc.rootName(type as Y.AbstractType<unknown>)
    if (name === null) continue
    if (name === 'schema' || name === 'copies') {
      schema = true
      continue
    }
    if (name === 'primary') continue // primary roles (src/primary/): no records, no schema
    const cookie = name.slice(2)
    let set = tables.get(cookie)
    if (!set) tables.set(cookie, (set = new Set()))
    for (const k of keys) if (k !== null) set.add(k)
  }
  return { tables, schema }
}

/** Applies peers' updates to the document and commits what they changed. */
export class Inbound {
  /** What the document transaction of the update being applied changed ({@link committed}). */
  private change: DocChange | null = null
  /** The highest ack id committed per peer and not acknowledged yet (see {@link ackLater}). */
  private readonly due = new Map<Peer, number>()
  private applying = false
  /** Definitions made from the document's schema entries (each entry's value is one object until it is replaced). */
  private readonly clusterDefs = new WeakMap<object, TableDef>()
  /** Definitions the update being checked brings (schema entries), by cookie. */
  private readonly incoming = new Map<string, TableDef>()
  /** The last definition this node knew of each table cookie it held (tables dropped here or deleted). */
  private readonly lastDefs = new Map<string, TableDef>()

  constructor(
    private readonly ctx: ReplicationContext,
    private readonly peers: Peers,
    private readonly loader: Loader,
    private readonly partitions: Partitions,
    private readonly store: DocStore,
    private readonly screen: Screen,
  ) {}

  /**
   * Takes a peer's update: it is checked, applied and committed after the ones before it.
   * `sync2`: the peer's answer to a SYNC1 (everything this node lacked of what it has).
   */
  apply(peer: Peer, update: Uint8Array, ack: number, sync2 = false): void {
    this.ctx.enqueue(async () => {
      // A peer rejected meanwhile: nothing more of it is taken.
      if (peer.rejected || this.ctx.stopped()) return
      if (sync2) peer.catchingUp = false
      let applied: { change: DocChange; update: Uint8Array } | null
      try {
        applied = this.integrate(peer, update)
      } catch (e) {
        this.peers.reject(peer, e)
        return
      }
      // Committed, or left out (not acknowledged yet: it is not durable here). A peer that sent
      // it has what it follows: its SYNC2 brings that and this update's structs, with no gap,
      // and is committed with the ack owed. One request at a time: any SYNC2 the peer sends
      // after an update covers it.
      if (applied !== null) {
        const owed = sync2 ? peer.owedAck : 0
        if (sync2) peer.owedAck = 0
        await this.commit(peer, applied.change, applied.update, Math.max(ack, owed))
        return
      }
      peer.owedAck = Math.max(peer.owedAck, ack)
      if (!peer.catchingUp) {
        peer.catchingUp = true
        this.peers.send(peer, { kind: 'sync1', sv: Y.encodeStateVector(this.ctx.rdoc.doc) })
      }
    })
  }

  /**
   * Checks an update and applies it to the document; returns what it changed and the update as
   * applied (null: left out). Throws `bad_update` when it is refused.
   */
  private integrate(peer: Peer, received: Uint8Array): { change: DocChange; update: Uint8Array } | null {
    const store = this.ctx.rdoc.doc.store
    this.incoming.clear()
    const { unresolved, update } = inspectUpdate(
      received,
      (root, value, key) => {
        this.validateValue(root, value, key)
      },
      { place: (client, clock) => this.place(client, clock), state: (client) => Y.getState(store, client) },
    )
    // An item whose origin this node has not seen yet, or structs after a gap: Yjs would keep
    // them and integrate them later, unchecked. Left out; the peer's SYNC2 brings them whole.
    // Deletes of clocks this node does not have are left out of `update` (guard.ts).
    if (unresolved) return null
    this.change = null
    this.applying = true
    try {
      Y.applyUpdate(this.ctx.rdoc.doc, update, peer)
    } catch (e) {
      throw new WebnesiaError('bad_update', `update rejected by the document: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      this.applying = false
    }
    const change = this.change ?? { tables: new Map(), schema: false }
    this.change = null
    return { change, update }
  }

  /** A peer's update changed the document (its afterTransaction, during {@link integrate}). */
  committed(peer: Peer, change: DocChange): void {
    if (this.applying) {
      this.change = change
      return
    }
    // Not one of this module's updates (none today): commit it after what is queued.
    this.ctx.enqueue(() => this.commit(peer, change, null, 0))
  }

  /** Commits what an update changed, then persists and acknowledges it. */
  private async commit(peer: Peer, { tables, schema }: DocChange, update: Uint8Array | null, ack: number): Promise<void> {
    const { ctx } = this
    if (schema) {
      this.rememberDefs()
      await this.loader.syncSchema()
      // Copies or definitions changed somewhere in the cluster (tableInfo's copy lists move).
      ctx.node.systemEvent({ type: 'schema_replicated', from: peer.node ?? 'unknown' })
    }
    if (peer.reassert.size > 0) await this.partitions.reassert(peer, tables)
    await this.screen.screen(peer.node ?? 'unknown', tables)
    const invalid = await commitRemote(ctx, peer.node ?? 'unknown', tables)
    if (invalid > 0) this.peers.reject(peer, new WebnesiaError('bad_update', `${String(invalid)} invalid records from ${peer.node ?? 'a peer'} were not applied`))
    if (update) this.store.persist(update)
    this.ackLater(peer, ack)
  }

  /**
   * Acknowledges `ack` once the updates queued now are committed too: an ACK covers every update
   * before it on the link, so a burst of updates is one ACK per peer, and a node's ACKs to all
   * its peers leave together (through a sync server, one message instead of one per update).
   */
  private ackLater(peer: Peer, ack: number): void {
    if (ack <= 0) return
    if (this.due.size === 0) {
      this.ctx.enqueue(() => {
        for (const [p, n] of this.due) this.peers.send(p, { kind: 'ack', ack: n })
        this.due.clear()
        return Promise.resolve()
      })
    }
    this.due.set(peer, Math.max(this.due.get(peer) ?? 0, ack))
  }

  /**
   * Records written into a table of the cluster must fit its definition, under their own key:
   * this node's copy's; with no copy here, the definition in the document's schema; with none
   * there either (deleted), the last one this node knew under that cookie. A node relays what
   * it takes, so it checks what a node holding the table would: else a peer could pass bad
   * records through a node without a copy, and the holders would reject that node (the remote
   * fuzz, seeds 71006 and 71001: the victim's copy, then the table, was dropped by a peer, the
   * valid peer kept its copy, and cut the victim off).
   */
  private validateValue(root: string, value: unknown, key: string | null): void {
    if (root === 'schema') {
      // A definition the update brings (the guard hands these over first): its records are
      // checked against it. One that is not a definition is ignored by the schema sync.
      if (key !== null && validClusterDef(key, value)) this.incoming.set(value.cookie, makeTableDef(key, value, value.cookie))
      return
    }
    if (!root.startsWith('t:')) return
    const def = this.definition(root.slice(2))
    if (def === null) return
    const name = def.name
    const recs = (value as unknown[]).map((r) => importRecord(def, decodeValue(r)))
    if (def.type !== 'bag' && recs.length !== 1) throw new WebnesiaError('bad_update', `${name}: a key of a set holds one record`)
    if (key === null) return
    parseKeyString(key)
    const at = def.attributes[0] as string
    for (const r of recs) if (keyString(r[at] as never) !== key) throw new WebnesiaError('bad_update', `${name}: a record under a foreign key`)
  }

  /** The definition of the cluster's table whose cookie is `cookie` (null: none is known here). */
  private definition(cookie: string): TableDef | null {
    const brought = this.incoming.get(cookie)
    if (brought) return brought
    const local = tableOfCookie(this.ctx.node, cookie)
    if (local !== null) return this.ctx.node.catalog.get(local).def
    for (const [name, c] of this.ctx.rdoc.schema) {
      if (typeof c !== 'object' || c === null || c.cookie !== cookie) continue
      // Not a definition: the schema sync ignores it too (loader.ts), its records go unchecked.
      if (!validClusterDef(name, c)) return null
      let def = this.clusterDefs.get(c)
      if (def === undefined) this.clusterDefs.set(c, (def = makeTableDef(name, c, cookie)))
      return def
    }
    return this.lastDefs.get(cookie) ?? null
  }

  /** Remembers the definitions of this node's copies (before the schema sync may drop some). */
  private rememberDefs(): void {
    for (const rt of this.ctx.node.catalog.tables.values()) if (!rt.def.localContent) this.lastDefs.set(rt.def.cookie, rt.def)
  }

  /** Where an item of the document is (for the guard: an overwrite names its origin, not its key). */
  private place(client: number, clock: number): ItemPlace | null {
    const store = this.ctx.rdoc.doc.store
    const structs = store.clients.get(client)
    if (!structs || clock >= Y.getState(store, client)) return null
    const s = structs[Y.findIndexSS(structs, clock)]
    if (!(s instanceof Y.Item)) return 'gc'
    const root = s.parent instanceof Y.AbstractType ? this.ctx.rdoc.rootName(s.parent as Y.AbstractType<unknown>) : null
    if (root === null) throw new WebnesiaError('bad_update', 'an item under an unknown parent')
    return { root, key: s.parentSub }
  }
}
