/**
 * Seeded simulated networks (like yjs's TestConnector): 3–5 nodes, messages dropped, duplicated
 * and delayed (so reordered) by the fault hook, links cut and reconnected at random, writes,
 * deletes, bag changes and transactions on every node. Once the network heals and the nodes
 * resync, every node must hold identical tables. A failing seed replays exactly.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/index.js'
import { prng } from '../../src/replication/faults.js'
import { canonical } from '../../src/storage/term.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const SEEDS = Number(process.env.SIM_SEEDS ?? 200)
const open: Database[] = []
const stats = { records: 0, rounds: 0 }
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function contents(db: Database): Promise<string> {
  const out: string[] = []
  for (const t of ['kv', 'bag']) {
    const rows = await db.dirtyMatchObject(t, {})
    out.push(t + ':' + rows.map((r) => canonical(r)).sort().join('|'))
  }
  return out.join('\n')
}

async function run(seed: number): Promise<void> {
  const rnd = prng(seed)
  const pick = (n: number): number => Math.floor(rnd() * n)
  const n = 3 + pick(3)
  const net = new Network()
  const dbs: Database[] = []
  for (let i = 0; i < n; i++) {
    const db = await openDatabase({ name: uniqueName(`sim${String(seed)}`) })
    open.push(db)
    dbs.push(db)
  }
  const first = dbs[0] as Database
  await first.createTable('kv', { attributes: ['k', 'v'], type: pick(2) ? 'ordered_set' : 'set' })
  await first.createTable('bag', { attributes: ['k', 'v'], type: 'bag', storage: pick(2) ? 'ram_copies' : 'disc_copies' })
  for (let i = 0; i < n; i++) {
    await (dbs[i] as Database).join({
      room: 'sim',
      transport: net.transport(i),
      resyncMs: 0,
      faults: { seed: seed * 31 + i, drop: 0.1, duplicate: 0.1, delay: 0.2, maxDelayMs: 3 },
    })
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  const has = (db: Database, t: string): boolean => (db.systemInfo('tables') as string[]).includes(t)
  for (let step = 0; step < 25; step++) {
    const db = dbs[pick(n)] as Database
    const key = `k${String(pick(6))}`
    switch (pick(8)) {
      case 0:
      case 1:
        if (has(db, 'kv')) await db.dirtyWrite('kv', { k: key, v: pick(100) })
        break
      case 2:
        if (has(db, 'kv')) await db.dirtyDelete('kv', key)
        break
      case 3:
        if (has(db, 'bag')) await db.dirtyWrite('bag', { k: key, v: pick(4) })
        break
      case 4:
        if (has(db, 'bag')) await db.dirtyDeleteObject('bag', { k: key, v: pick(4) })
        break
      case 5:
        if (has(db, 'kv')) {
          await db.transaction(async (t) => {
            const [r] = await t.read<{ k: string; v: number }>('kv', key)
            await t.write('kv', { k: key, v: (r?.v ?? 0) + 1 })
          })
        }
        break
      case 6: {
        const a = pick(n)
        const b = pick(n)
        if (a !== b) {
          if (net.connected(a, b)) net.disconnect(a, b)
          else net.connect(a, b)
        }
        break
      }
      case 7:
        await net.drained()
        break
    }
  }
  // Heal: no more faults, every link up, everyone asks everyone for what it lacks.
  for (const db of dbs) db.replication?.faults.set({ drop: 0, duplicate: 0, delay: 0 })
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(i, j)
  let views: string[] = []
  for (let round = 0; round < 10; round++) {
    await quiet(net, dbs)
    for (const db of dbs) db.replication?.resync()
    await quiet(net, dbs)
    views = []
    for (const db of dbs) views.push(has(db, 'kv') && has(db, 'bag') ? await contents(db) : 'missing tables')
    if (views.every((v) => v === views[0])) break
  }
  expect(views[0], `seed ${String(seed)}`).not.toBe('missing tables')
  for (let i = 1; i < n; i++) expect(views[i], `seed ${String(seed)}: node ${String(i)} differs from node 0`).toBe(views[0])
  stats.records += (views[0] as string).split('|').length
  stats.rounds += 1
  for (const db of open.splice(0)) await db.close()
}

it(`${String(SEEDS)} seeded simulated networks converge to identical tables`, async () => {
  for (let seed = 1; seed <= SEEDS; seed++) await run(seed)
  // Not vacuous: the runs wrote records that every node ended up holding.
  expect(stats.rounds).toBe(SEEDS)
  expect(stats.records).toBeGreaterThan(SEEDS * 2)
}, 300_000)
