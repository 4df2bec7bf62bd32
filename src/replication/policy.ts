/**
 * Remote policies: which changes from peers a node takes, per table. Anyone in the room (who
 * knows its name and password) can send updates; a policy says what this node commits of them.
 *
 *     'accept' (the default)     every valid change is committed
 *     'reject'                   no change from a peer is committed (this node's copy is its own)
 *     (change, peer) => boolean  committed when the function returns true; `change` holds the
 *                                table, the key, the records the peer wants (none: a delete) and
 *                                the records here; `peer` is the node id of the link it came on
 *
 * Where it applies (inbound.ts): after a peer's update entered the document and before anything
 * is committed, each changed key of a table with a policy is screened. A refused key is not
 * committed, a `remote_refused` system event (table, key, node) is emitted, and this node writes
 * its own records of the key back into the document (as a local change, like the master
 * re-assert of partitions.ts): its write is causally after the refused one, so it replaces it in
 * every replica, and the refused value does not spread from here. The peer learns of the refusal
 * by that write (its key is set back); nothing else is sent to it, and it stays connected (a
 * refusal is not malformed input).
 *
 * Two nodes that both refuse each other's writes of one key would set it back forever; after
 * {@link MAX_WRITE_BACKS} refusals of one key within {@link FIGHT_MS} of each other this node
 * stops writing it back and emits `inconsistent_database` (its table keeps its records, its
 * document the other side's).
 *
 * Not screened: the initial copy of a table this node adopts (it asked for it), and the schema
 * and copies maps. A policy lives in the tab that set it: set it in every tab that may replicate
 * (e.g. at start-up, before `join`); it may name a table that does not exist yet.
 *
 * @module
 */
import type { Rec } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'
import { parseKeyString } from './codec.js'
import { tableOfCookie, type ReplicationContext } from './context.js'
import { docRecords } from './doc-commit.js'
import { LOCAL } from './doc.js'

/** Refusals of one key within {@link FIGHT_MS} of each other after which this node stops writing it back. */
export const MAX_WRITE_BACKS = 8
/** Two refusals of one key this close (ms) count as one fight. */
export const FIGHT_MS = 10_000
/** Attempts at reading a consistent local value before writing it back anyway. */
const READ_TRIES = 5

export { remotePolicy, setRemotePolicy, type RemoteChange, type RemotePolicy } from './remote-policy.js'
import { remotePolicy, type RemoteChange, type RemotePolicy } from './remote-policy.js'

interface Refused {
  table: string
  cookie: string
  key: Key
}

/** Screens peers' changes by the tables' policies. */
export class Screen {
  /** `<table>\0<key>` → [refusals in a row, time of the last] */
  private readonly fights = new Map<string, [number, number]>()

  constructor(private readonly ctx: ReplicationContext) {}

  /**
   * Takes out of `tables` (keys by table cookie, as the document changed them) the keys the
   * policies refuse, reports them, and writes this node's records of them back into the document.
   */
  async screen(from: string, tables: Map<string, Set<string>>): Promise<void> {
    const node = this.ctx.node
    const refused: Refused[] = []
    for (const [cookie, ks] of tables) {
      const table = tableOfCookie(node, cookie)
      if (table === null) continue
      const policy = remotePolicy(node, table)
      if (policy === 'accept') continue
      const rt = node.catalog.get(table)
      for (const k of [...ks]) {
        let key: Key
        try {
          key = parseKeyString(k)
        } catch {
          continue // not a key: commitRemote counts it as invalid
        }
        const records = docRecords(this.ctx, rt.def, k)
        if (records === undefined) continue // invalid records: commitRemote rejects the peer
        const old = await rt.reader.read(key)
        if (old.length === records.length && canonical(old) === canonical(records)) continue
        if (this.allows(policy, { table, key, records, old }, from)) {
          this.fights.delete(`${table}\u0000${k}`)
          continue
        }
        ks.delete(k)
        node.systemEvent({ type: 'remote_refused', table, key, node: from })
        const n = this.count(`${table}\u0000${k}`)
        if (n > MAX_WRITE_BACKS) {
          if (n === MAX_WRITE_BACKS + 1) node.systemEvent({ type: 'inconsistent_database', tables: [table], nodes: [from] })
          continue
        }
        refused.push({ table, cookie, key })
      }
    }
    if (refused.length > 0) await this.writeBack(refused)
  }

  private allows(policy: RemotePolicy, change: RemoteChange, from: string): boolean {
    if (policy === 'accept') return true
    if (policy === 'reject') return false
    try {
      return policy(change, from) === true
    } catch (e) {
      this.ctx.node.reportError(e)
      return false
    }
  }

  /** Counts a refusal of a key: how many in a row (each within FIGHT_MS of the last). */
  private count(id: string): number {
    const now = Date.now()
    const prev = this.fights.get(id)
    const n = prev && now - prev[1] < FIGHT_MS ? prev[0] + 1 : 1
    if (this.fights.size > 10_000) this.fights.clear()
    this.fights.set(id, [n, now])
    return n
  }

  /** Writes this node's records of the keys into the document (a local change: it spreads). */
  private async writeBack(keys: readonly Refused[]): Promise<void> {
    const { node, rdoc } = this.ctx
    let writes: [string, Key, readonly Rec[]][] = []
    // Read a value no local commit changed meanwhile (those enter the document themselves).
    for (let i = 0; i < READ_TRIES; i++) {
      const at = node.applied
      writes = []
      for (const { table, cookie, key } of keys) {
        const rt = node.catalog.tables.get(table)
        if (rt?.def.cookie === cookie) writes.push([cookie, key, await rt.reader.read(key)])
      }
      if (node.applied === at) break
    }
    if (writes.length === 0) return
    rdoc.doc.transact(() => {
      for (const [cookie, key, recs] of writes) rdoc.setKey(cookie, key, recs)
    }, LOCAL)
  }
}
