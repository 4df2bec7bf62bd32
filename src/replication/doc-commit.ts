/**
 * Document → commit: keys a peer changed in the replication document become ONE commit through
 * the node's Committer (`CommitRequest.peer`), so they take the normal path: same log, same
 * events (origin `'peer'`), other tabs learn them from the log.
 *
 *     changed keys (by cookie) ──► keys by table ──► Committer.submit({ peer: PeerChange })
 *         inside the commit, after its catch-up: target(table, key) = the doc's records NOW,
 *         validated against the local definition (undefined: invalid, the key is left alone)
 *
 * Reading the records inside the commit means a local commit that overtook the remote one is
 * never undone on disc while the document keeps it: document and tables agree after each commit.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { TableDef } from '../schema/table-def.js'
import { importRecord, type Rec } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'
import type { PeerChange } from '../txn/committer.js'
import { WriteSet } from '../txn/write-set.js'
import { decodeValue, keyString, parseKeyString } from './codec.js'
import { tableOfCookie, type ReplicationContext } from './context.js'

/** Commits a peer's changed keys (by table cookie); returns how many keys held invalid records (not applied). */
export async function commitRemote(ctx: ReplicationContext, from: string, tables: Map<string, Set<string>>): Promise<number> {
  const keys = new Map<string, Key[]>()
  let bad = 0
  for (const [cookie, ks] of tables) {
    const name = tableOfCookie(ctx.node, cookie)
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
  return bad + (await commitKeys(ctx, from, keys))
}

/** Commits the document's records of `keys` (by table name); returns how many keys held invalid records. */
export async function commitKeys(ctx: ReplicationContext, from: string, keys: Map<string, Key[]>): Promise<number> {
  const invalid = new Set<string>()
  const change: PeerChange = {
    node: from,
    keys,
    target: (t, key) => {
      const rt = ctx.node.catalog.tables.get(t)
      if (!rt) return undefined
      const ks = keyString(key)
      const recs = docRecords(ctx, rt.def, ks)
      if (recs === undefined) invalid.add(`${t}\u0000${ks}`)
      return recs
    },
  }
  const r = await ctx.committer.submit({ reads: null, writes: new WriteSet(), peer: change })
  if (r === 'conflict') throw new WebnesiaError('aborted', 'a peer change conflicted (cannot happen)')
  return invalid.size
}

/** The records of a key in the document, validated against the local definition (undefined: invalid). */
export function docRecords(ctx: ReplicationContext, def: TableDef, ks: string): readonly Rec[] | undefined {
  const raw = ctx.rdoc.table(def.cookie).get(ks)
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
