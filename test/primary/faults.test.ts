/** Primary tables under seeded message faults, hostile primary-table frames, and the primary's epoch check. */
import { afterEach, expect, it } from 'vitest'
import { PrimaryUnavailableError, type Database, type SystemEvent } from '../../src/index.js'
import { prng } from '../../src/replication/faults.js'
import { keyString } from '../../src/replication/codec.js'
import { encodeMessage } from '../../src/replication/wire.js'
import { cluster, increment, valueOf } from './helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

for (const seed of [1, 2, 3]) {
  it(`seed ${String(seed)}: drop / duplicate / delay lose and double no increment`, async () => {
    const { dbs, settle } = await cluster(3, open)
    for (const [i, db] of dbs.entries()) db.replication?.faults.set({ seed: seed * 31 + i, drop: 0.1, duplicate: 0.15, delay: 0.3, maxDelayMs: 5 })
    const rnd = prng(seed)
    const per = 8
    const values = await Promise.all(
      dbs.map(async (db) => {
        const out: number[] = []
        for (let i = 0; i < per; i++) {
          if (rnd() < 0.3) await new Promise((r) => setTimeout(r, Math.floor(rnd() * 3)))
          out.push(await increment(db))
        }
        return out
      }),
    )
    for (const db of dbs) db.replication?.faults.set({ drop: 0, duplicate: 0, delay: 0 })
    for (const db of dbs) db.replication?.resync()
    await settle()
    expect(values.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 3 * per }, (_, i) => i + 1))
    for (const db of dbs) expect(await valueOf(db)).toBe(3 * per)
  })
}

it('a malformed primary-table frame rejects the peer and changes nothing', async () => {
  const { net, dbs, settle } = await cluster(2, open)
  const [a, b] = dbs as [Database, Database]
  const events: SystemEvent[] = []
  a.subscribe('system', (e) => events.push(e))
  const raw = encodeMessage({ kind: 'preq', id: 1, body: 0 })
  raw[raw.length - 1] = 0xff // a body that is no lib0 value
  const bad: Uint8Array[] = [
    encodeMessage({ kind: 'preq', id: 1, body: { rid: 'x', epochs: [['counter', 1]], reads: [], scans: [], writes: [['counter', false, [['s"k"', [{ w: 5 }]]]]] } }),
    encodeMessage({ kind: 'preq', id: 1, body: { rid: '', epochs: [], reads: [], scans: [], writes: [] } }),
    encodeMessage({ kind: 'preply', id: 1, body: [1, 2, 3] }),
    raw,
  ]
  for (const frame of bad) {
    expect(b.replication?.sendRaw(a.node, [frame])).toBe(true)
    await settle()
    net.disconnect(0, 1)
    net.connect(0, 1)
    await settle()
  }
  expect(events.filter((e) => e.type === 'peer_rejected')).toHaveLength(bad.length)
  expect(await valueOf(a, 'k')).toBe(0)
  // The link works again: b's writes still go through the primary.
  expect(await increment(b, 'k')).toBe(1)
})

interface Port {
  send(n: string, k: 'preq', id: number, body: unknown): boolean
}

it('the primary refuses a request for an epoch it does not hold, and commits a re-sent request once', async () => {
  const { dbs, settle } = await cluster(2, open)
  const [a, b] = dbs as [Database, Database]
  const port = (b.replication as unknown as { primary: Port }).primary
  const write = (rid: string, epoch: number, n: number): unknown => ({
    rid,
    epochs: [['counter', epoch]],
    reads: [],
    scans: [],
    writes: [['counter', false, [[keyString('k'), [{ w: { id: 'k', n } }]]]]],
  })
  let commits = 0
  let landed!: () => void
  const first = new Promise<void>((r) => (landed = r))
  a.subscribe({ table: 'counter' }, () => {
    commits++
    landed()
  })
  port.send(a.node, 'preq', 1, write('r1', 7, 5))
  for (let i = 0; i < 3; i++) port.send(a.node, 'preq', 2 + i, write('r2', 1, 6))
  await first
  await settle()
  // A fourth copy after the commit is answered from memory, not committed again.
  port.send(a.node, 'preq', 9, write('r2', 1, 6))
  await settle()
  await a.transaction(() => undefined)
  expect(await valueOf(a, 'k')).toBe(6)
  expect(commits).toBe(1)
})

it('a partition healed one side after the other: both sides see each other again, the replica reaches the primary', async () => {
  const { dbs, settle } = await cluster(2, open)
  const [a, b] = dbs as [Database, Database]
  a.replication?.partition([b.node])
  b.replication?.partition([a.node])
  await settle()
  expect(await increment(b).catch((e: unknown) => e)).toBeInstanceOf(PrimaryUnavailableError)
  // a's HELLO goes out while b's side is still cut (dropped); b's HELLO, later, must be answered.
  a.replication?.heal()
  await settle()
  b.replication?.heal()
  await settle()
  expect(a.replication?.connected()).toEqual([b.node])
  expect(b.replication?.connected()).toEqual([a.node])
  expect(await increment(b)).toBe(1)
})
