/**
 * The scale run of the sync-server transport: `n` nodes spread over the instances of a Hocuspocus
 * farm (Redis), the first creating the table, each writing `per` records once all have it; the
 * run ends when every node holds all `n × per` records.
 */
import { openDatabase, type Database } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import type { Farm } from './redis.js'

/** Resolves once `cond` holds (checked every 50 ms), or fails after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const size = (db: Database): number => {
  try {
    return Number(db.tableInfo('item', 'size'))
  } catch {
    return -1
  }
}

export interface ScaleResult {
  nodes: number
  records: number
  /** From the first write to every node holding every record. */
  convergeMs: number
  /** From the first join to every node holding the (empty) table. */
  joinMs: number
  farm: { rss: number; heap: number }
  /** `node_down` events over all nodes from the first join on (a link closed, or a peer judged silent). */
  downs: number
}

/** Runs the scale workload; `copyType` of every node's copies (the nodes are in this process). */
export async function scale(farm: Farm, n: number, per: number, timeoutMs: number, copyType: 'ram_copies' | 'disc_copies' = 'disc_copies'): Promise<ScaleResult> {
  const dbs: Database[] = []
  let progress: ReturnType<typeof setInterval> | undefined
  try {
    for (let i = 0; i < n; i++) dbs.push(await openDatabase({ name: uniqueName('scale') }))
    let downs = 0
    for (const db of dbs) db.subscribe('system', (ev) => void (ev.type === 'node_down' && downs++))
    await (dbs[0] as Database).createTable('item', { attributes: ['id', 'v'], storage: copyType })
    const room = uniqueName('scale-room')
    const t0 = Date.now()
    for (let i = 0; i < n; i++) {
      await (dbs[i] as Database).join({ room, server: farm.urls[i % farm.urls.length], serverKind: 'hocuspocus', resyncMs: 0, copyType })
    }
    await until(() => dbs.every((db) => size(db) >= 0), timeoutMs, 'every node has the table')
    const joinMs = Date.now() - t0
    const t1 = Date.now()
    // A long run says where it is every 30 s (the soak's only view of a run that does not finish).
    progress = setInterval(() => {
      const sizes = dbs.map(size)
      const behind = dbs.flatMap((db, i) => (sizes[i] === n * per ? [] : [`${String(sizes[i])}/${String(db.replication?.connected().length)}`]))
      console.error(`[scale] ${String(Math.round((Date.now() - t1) / 1000))} s: fewest ${String(Math.min(...sizes))}, most ${String(Math.max(...sizes))} of ${String(n * per)}; node_down ${String(downs)}; behind (records/peers): ${behind.slice(0, 10).join(' ')}`)
    }, 30_000)
    await Promise.all(
      dbs.map(async (db, i) => {
        for (let k = 0; k < per; k += 10) {
          await db.transaction(async (t) => {
            for (let j = k; j < Math.min(per, k + 10); j++) await t.write('item', { id: `${String(i)}-${String(j)}`, v: j })
          })
        }
      }),
    )
    await until(() => dbs.every((db) => size(db) === n * per), timeoutMs, `every node has ${String(n * per)} records`)
    const convergeMs = Date.now() - t1
    return { nodes: n, records: n * per, convergeMs, joinMs, farm: await farm.memory(), downs }
  } finally {
    clearInterval(progress)
    for (const db of dbs) await db.close()
  }
}
