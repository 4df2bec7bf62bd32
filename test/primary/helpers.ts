/** A cluster on the simulated network (test/replication/network.ts) with one primary table. */
import { openDatabase, type Database } from '../../src/index.js'
import type { FaultOptions } from '../../src/replication/faults.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from '../replication/network.js'

export interface Cluster {
  net: Network
  dbs: Database[]
  /** Each node's database name (open it again for another tab of that node). */
  names: string[]
  settle: () => Promise<void>
}

/** n nodes, all connected; `counter` (and `other`, ordinary) replicated; `counter`'s primary node 0. */
export async function cluster(n: number, open: Database[], faults?: (i: number) => FaultOptions): Promise<Cluster> {
  const net = new Network()
  const dbs: Database[] = []
  const names: string[] = []
  for (let i = 0; i < n; i++) {
    names.push(uniqueName('prim'))
    const db = await openDatabase({ name: names[i] as string })
    open.push(db)
    dbs.push(db)
  }
  const a = dbs[0] as Database
  await a.createTable('counter', { attributes: ['id', 'n'] })
  await a.createTable('other', { attributes: ['id', 'v'] })
  for (let i = 0; i < n; i++) {
    await (dbs[i] as Database).join({ room: 'prim', transport: net.transport(i), resyncMs: 0, faults: faults?.(i) })
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  await quiet(net, dbs)
  for (const db of dbs) await db.waitForTables(['counter', 'other'], 5000)
  await a.setPrimary('counter', a.node)
  await quiet(net, dbs)
  return { net, dbs, names, settle: () => quiet(net, dbs) }
}

/** One read-increment-write of `counter[id]`; resolves with the value written. */
export function increment(db: Database, id = 'hot', opts?: Parameters<Database['transaction']>[1]): Promise<number> {
  return db.transaction(async (t) => {
    const [row] = await t.read<{ id: string; n: number }>('counter', id)
    const n = (row?.n ?? 0) + 1
    await t.write('counter', { id, n })
    return n
  }, opts)
}

/** The value of `counter[id]` on a node (0 when absent). */
export async function valueOf(db: Database, id = 'hot'): Promise<number> {
  const [row] = await db.dirtyRead<{ id: string; n: number }>('counter', id)
  return row?.n ?? 0
}
