/**
 * SYNC: a fresh peer copying a table through a Yjs sync server (y-websocket's, on loopback)
 * beside the same copy over WebRTC (y-webrtc through the loopback signaling server). Tab A holds
 * `records` items in a disc_copies table and has joined; tab B (another node) joins the same way
 * and the time runs from B's join until `table_copied` (every record committed on B).
 */
import { openDatabase, type Database, type JoinOptions } from '../../src/index.js'
import { check, dropLib, fillLib, ITEM_ATTRS, items, now, uniqueName } from './common.js'

let held: Database | null = null

/** Tab A: a node holding the table, joined with `join`. */
export async function syncHold(p: { records: number; join: JoinOptions }): Promise<void> {
  const a = await openDatabase({ name: uniqueName('sync-a') })
  await a.createTable('items', { attributes: [...ITEM_ATTRS], storage: 'disc_copies' })
  await fillLib(a, 'items', items(p.records))
  await a.join(p.join)
  held = a
}

/** Tab A: leaves and drops its node. */
export async function syncRelease(): Promise<void> {
  const a = held
  held = null
  if (!a) return
  await a.leave()
  await dropLib(a)
}

/** Tab B: a fresh node joins with `join`; resolves to the ms until the table is copied. */
export async function syncCopy(p: { records: number; join: JoinOptions }): Promise<number> {
  const b = await openDatabase({ name: uniqueName('sync-b') })
  const copied = new Promise<void>((resolve, reject) => {
    const off = b.subscribe('system', (e) => {
      if (e.type === 'table_copied' && e.table === 'items') {
        off()
        resolve()
      } else if (e.type === 'replication_error') {
        off()
        reject(new Error(e.message))
      }
    })
  })
  const t0 = now()
  await b.join(p.join)
  await copied
  const ms = now() - t0
  check(b.tableInfo('items', 'size') === p.records, 'the peer holds every record')
  await b.leave()
  await dropLib(b)
  return ms
}
