/**
 * REPL: a fresh peer copying a table. Node A holds `records` items in a disc_copies table; a
 * fresh node B joins it (both in this page, connected by an in-page pipe: the copy path without
 * the network) and the time runs until B's `waitForTables` resolves, i.e. every record is
 * committed to B's IndexedDB and in its memory. Side by side, on the same records:
 *
 * - `yjs.encodeApply`: Yjs encoding A's state as one update and applying it to a fresh doc
 *   (the yardstick: what the CRDT alone costs);
 * - `yjsIdb.encodeApplyPut`: the same, plus writing the records into IndexedDB with native
 *   puts in one strict transaction (what any durable copy has to pay on top).
 */
import * as Y from 'yjs'
import { openDatabase, type Database, type Pipe } from '../../src/index.js'
import { encodeRecords, keyString } from '../../src/replication/codec.js'
import { check, done, dropLib, dropRaw, fillLib, ITEM_ATTRS, items, now, profileEnd, profileStart, rawCount, rawWithItems, rotated, uniqueName } from './common.js'

/** Two pipe ends connected in this page. */
function pipePair(): [Pipe, Pipe] {
  const ends: { onData: ((d: Uint8Array) => void) | null; onClose: (() => void) | null; closed: boolean }[] = [
    { onData: null, onClose: null, closed: false },
    { onData: null, onClose: null, closed: false },
  ]
  const make = (i: 0 | 1): Pipe => ({
    send: (d) => {
      const other = ends[1 - i]
      if (!other || other.closed) return
      const copy = d.slice()
      queueMicrotask(() => other.onData?.(copy))
    },
    onData: (fn) => ((ends[i] as { onData: unknown }).onData = fn),
    onClose: (fn) => ((ends[i] as { onClose: unknown }).onClose = fn),
    close: () => {
      for (const e of ends) {
        if (e.closed) continue
        e.closed = true
        e.onClose?.()
      }
    },
  })
  return [make(0), make(1)]
}

export async function repl(p: { records: number; rep: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const recs = items(p.records)

  const lib = async (): Promise<void> => {
    const a = await openDatabase({ name: uniqueName('repl-a') })
    const b = await openDatabase({ name: uniqueName('repl-b') })
    await a.createTable('items', { attributes: [...ITEM_ATTRS], storage: 'disc_copies' })
    await fillLib(a, 'items', recs)
    const [pa, pb] = pipePair()
    let attachB: ((p: Pipe) => void) | null = null
    await a.join({ room: 'bench', resyncMs: 0, transport: (attach) => ((attach(pa), () => undefined)) })
    profileStart('REPL lib.copy')
    const t0 = now()
    await b.join({ room: 'bench', resyncMs: 0, transport: (attach) => ((attachB = attach), () => undefined) })
    ;(attachB as unknown as (p: Pipe) => void)(pb)
    await waitCopied(b, 'items')
    out['lib.copy'] = now() - t0
    profileEnd('REPL lib.copy')
    check(b.tableInfo('items', 'size') === p.records, 'the peer holds every record')
    await b.leave()
    await a.leave()
    await dropLib(b)
    await dropLib(a)
  }

  const yjs = async (): Promise<void> => {
    const src = new Y.Doc()
    const m = src.getMap<unknown[]>('t:items')
    src.transact(() => {
      for (const r of recs) m.set(keyString(r.id), encodeRecords([r as unknown as Record<string, unknown>]))
    })
    const t0 = now()
    const update = Y.encodeStateAsUpdate(src)
    const dst = new Y.Doc()
    Y.applyUpdate(dst, update)
    out['yjs.encodeApply'] = now() - t0
    check(dst.getMap('t:items').size === p.records, 'Yjs applied every record')

    const t1 = now()
    const update2 = Y.encodeStateAsUpdate(src)
    const dst2 = new Y.Doc()
    Y.applyUpdate(dst2, update2)
    const db = await rawWithItems(uniqueName('repl-raw'))
    const tx = db.transaction('items', 'readwrite', { durability: 'strict' })
    const store = tx.objectStore('items')
    for (const v of dst2.getMap<unknown[]>('t:items').values()) store.put(v[0])
    await done(tx)
    out['yjsIdb.encodeApplyPut'] = now() - t1
    check((await rawCount(db)) === p.records, 'raw wrote every record')
    await dropRaw(db)
  }

  await rotated(p.rep, [lib, yjs])
  return out
}

function waitCopied(db: Database, table: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = db.subscribe('system', (e) => {
      if (e.type === 'table_copied' && e.table === table) {
        off()
        resolve()
      } else if (e.type === 'replication_error') {
        off()
        reject(new Error(e.message))
      }
    })
  })
}
