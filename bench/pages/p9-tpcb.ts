/**
 * P9: TPC-B. Tables branch, teller, account, history; each transaction picks an account, a teller
 * (and the teller's branch), adds a random delta to the three balances and appends a history row.
 * Run by 1 client, by 10 concurrent clients in one tab, and by one client in each of 4 tabs, for a
 * fixed time from a common start. At the end the balances of the three tables must sum to the same
 * total as the history deltas, else the run fails.
 *
 * Two styles of transaction: `increment` (the default) reads the account (TPC-B returns its
 * balance) and adds the delta to the teller's and the branch's balance with `t.updateCounter`
 * (increments commute: the few hot rows do not make concurrent transactions conflict);
 * `rmw` reads all three with a write lock and writes them back (as mnesia_tpcb does, where the
 * lock serializes them; optimistic concurrency makes them conflict instead). `p9Raw` is the
 * baseline: the same transaction in raw IndexedDB, one strict transaction after another.
 */
import { openDatabase, type Database } from '../../src/index.js'
import { check, deleteIdb, done, fillLib, prng, profileEnd, profileStart, request, uniqueName } from './common.js'

const FILLER = 'x'.repeat(60)

export interface TpcbScale {
  branches: number
  tellersPerBranch: number
  accountsPerBranch: number
}

/** Creates and fills a TPC-B node; returns its name. */
export async function p9Setup(p: TpcbScale): Promise<string> {
  const name = uniqueName('p9')
  const db = await openDatabase({ name })
  await db.createTable('branch', { attributes: ['bid', 'balance', 'filler'] })
  await db.createTable('teller', { attributes: ['tid', 'bid', 'balance', 'filler'] })
  await db.createTable('account', { attributes: ['aid', 'bid', 'balance', 'filler'] })
  await db.createTable('history', { attributes: ['hid', 'tid', 'bid', 'aid', 'delta', 'mtime', 'filler'] })
  const b = Array.from({ length: p.branches }, (_, bid) => ({ bid, balance: 0, filler: FILLER }))
  const tellers = p.branches * p.tellersPerBranch
  const t = Array.from({ length: tellers }, (_, tid) => ({ tid, bid: Math.floor(tid / p.tellersPerBranch), balance: 0, filler: FILLER }))
  const accounts = p.branches * p.accountsPerBranch
  const a = Array.from({ length: accounts }, (_, aid) => ({ aid, bid: Math.floor(aid / p.accountsPerBranch), balance: 0, filler: FILLER }))
  await fillLib(db, 'branch', b)
  await fillLib(db, 'teller', t)
  await fillLib(db, 'account', a)
  await db.close()
  return name
}

let open: Database | null = null

async function handle(name: string): Promise<Database> {
  const db = (open ??= await openDatabase({ name }))
  await db.waitForTables(['branch', 'teller', 'account', 'history'], 10_000)
  return db
}

/** Opens the node in this tab (loading its tables) before the clock starts. */
export async function p9Open(p: { name: string }): Promise<void> {
  await handle(p.name)
}

/**
 * Runs `clients` concurrent TPC-B clients in this tab from `startAt` (epoch ms) for `durationMs`.
 * Returns commits and attempts (attempts - commits = transactions run again after a conflict).
 */
export async function p9Run(p: TpcbScale & { name: string; clients: number; startAt: number; durationMs: number; seed: number; style?: 'increment' | 'rmw' }): Promise<{ commits: number; attempts: number; ms: number }> {
  const db = await handle(p.name)
  const tellers = p.branches * p.tellersPerBranch
  const accounts = p.branches * p.accountsPerBranch
  const tabTag = uniqueName('h')
  let commits = 0
  let attempts = 0
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, p.startAt - Date.now())))
  const end = p.startAt + p.durationMs
  const t0 = performance.now()
  const client = async (c: number): Promise<void> => {
    const rnd = prng(p.seed * 1000 + c)
    let seq = 0
    while (Date.now() < end) {
      const aid = Math.floor(rnd() * accounts)
      const tid = Math.floor(rnd() * tellers)
      const delta = Math.floor(rnd() * 2_000_001) - 1_000_000
      const hid = `${tabTag}-${String(c)}-${String(seq++)}`
      if (p.style === 'rmw') {
        await db.transaction(async (t) => {
          attempts++
          const [acc] = await t.read('account', aid, 'write')
          const [tel] = await t.read('teller', tid, 'write')
          check(acc !== undefined && tel !== undefined, 'account and teller exist')
          const bid = tel['bid'] as number
          const [br] = await t.read('branch', bid, 'write')
          check(br !== undefined, 'branch exists')
          await t.write('account', { ...acc, balance: (acc['balance'] as number) + delta })
          await t.write('teller', { ...tel, balance: (tel['balance'] as number) + delta })
          await t.write('branch', { ...br, balance: (br['balance'] as number) + delta })
          await t.write('history', { hid, tid, bid, aid, delta, mtime: Date.now(), filler: FILLER.slice(0, 20) })
        })
      } else {
        await db.transaction(async (t) => {
          attempts++
          const [acc] = await t.read('account', aid, 'write')
          check(acc !== undefined, 'account exists')
          const bid = Math.floor(tid / p.tellersPerBranch)
          await t.write('account', { ...acc, balance: (acc['balance'] as number) + delta })
          await t.updateCounter('teller', tid, delta, 'balance')
          await t.updateCounter('branch', bid, delta, 'balance')
          await t.write('history', { hid, tid, bid, aid, delta, mtime: Date.now(), filler: FILLER.slice(0, 20) })
        })
      }
      commits++
    }
  }
  const label = `P9 ${String(p.clients)} client(s)`
  profileStart(label)
  await Promise.all(Array.from({ length: p.clients }, (_, c) => client(c)))
  profileEnd(label)
  return { commits, attempts, ms: performance.now() - t0 }
}

/** Closes this tab's handle of a TPC-B node. */
export async function p9Close(): Promise<void> {
  const db = open
  open = null
  if (db) await db.close()
}

/** Sums of the balances of every table and of the history deltas, read in one transaction. */
export async function p9Check(p: { name: string }): Promise<{ branch: number; teller: number; account: number; history: number; historyRows: number }> {
  const db = await openDatabase({ name: p.name })
  try {
    const sum = (field: string) => (r: Record<string, unknown>, acc: number) => acc + (r[field] as number)
    return await db.transaction(async (t) => ({
      branch: await t.foldl(sum('balance'), 0, 'branch'),
      teller: await t.foldl(sum('balance'), 0, 'teller'),
      account: await t.foldl(sum('balance'), 0, 'account'),
      history: await t.foldl(sum('delta'), 0, 'history'),
      historyRows: (await t.allKeys('history')).length,
    }))
  } finally {
    await db.close()
  }
}

/** Opens (creating when new) the raw IndexedDB TPC-B database `name`. */
function rawTpcb(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1)
  open.onupgradeneeded = () => {
    for (const [s, key] of [['branch', 'bid'], ['teller', 'tid'], ['account', 'aid'], ['history', 'hid']] as const) {
      open.result.createObjectStore(s, { keyPath: key })
    }
  }
  return request(open)
}

/** Creates and fills the raw IndexedDB baseline's database; returns its name. */
export async function p9RawSetup(p: TpcbScale): Promise<string> {
  const name = uniqueName('p9raw')
  const db = await rawTpcb(name)
  const tellers = p.branches * p.tellersPerBranch
  const accounts = p.branches * p.accountsPerBranch
  const fill = db.transaction(['branch', 'teller', 'account'], 'readwrite', { durability: 'strict' })
  for (let bid = 0; bid < p.branches; bid++) fill.objectStore('branch').put({ bid, balance: 0, filler: FILLER })
  for (let tid = 0; tid < tellers; tid++) fill.objectStore('teller').put({ tid, bid: Math.floor(tid / p.tellersPerBranch), balance: 0, filler: FILLER })
  for (let aid = 0; aid < accounts; aid++) fill.objectStore('account').put({ aid, bid: Math.floor(aid / p.accountsPerBranch), balance: 0, filler: FILLER })
  await done(fill)
  db.close()
  return name
}

/**
 * The baseline: one client (in this tab) running the TPC-B transaction in raw IndexedDB from
 * `startAt` for `durationMs`, each in its own strict readwrite transaction (get account, teller,
 * branch; put them back with the delta; add the history row), awaited before the next.
 */
export async function p9RawRun(p: TpcbScale & { name: string; durationMs: number; seed: number; startAt: number }): Promise<{ commits: number; ms: number }> {
  const db = await rawTpcb(p.name)
  try {
    const tellers = p.branches * p.tellersPerBranch
    const accounts = p.branches * p.accountsPerBranch
    const rnd = prng(p.seed)
    const tag = uniqueName('h')
    let commits = 0
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, p.startAt - Date.now())))
    const t0 = performance.now()
    const end = p.startAt + p.durationMs
    while (Date.now() < end) {
      const aid = Math.floor(rnd() * accounts)
      const tid = Math.floor(rnd() * tellers)
      const delta = Math.floor(rnd() * 2_000_001) - 1_000_000
      const tx = db.transaction(['branch', 'teller', 'account', 'history'], 'readwrite', { durability: 'strict' })
      const [acc, tel] = await Promise.all([
        request(tx.objectStore('account').get(aid) as IDBRequest<Record<string, number>>),
        request(tx.objectStore('teller').get(tid) as IDBRequest<Record<string, number>>),
      ])
      check(acc !== undefined && tel !== undefined, 'account and teller exist')
      const bid = tel['bid'] as number
      const br = await request(tx.objectStore('branch').get(bid) as IDBRequest<Record<string, number>>)
      tx.objectStore('account').put({ ...acc, balance: (acc['balance'] as number) + delta })
      tx.objectStore('teller').put({ ...tel, balance: (tel['balance'] as number) + delta })
      tx.objectStore('branch').put({ ...br, balance: (br['balance'] as number) + delta })
      tx.objectStore('history').add({ hid: `${tag}-${String(commits)}`, tid, bid, aid, delta, mtime: Date.now(), filler: FILLER.slice(0, 20) })
      await done(tx)
      commits++
    }
    return { commits, ms: performance.now() - t0 }
  } finally {
    db.close()
  }
}

/** Deletes the raw baseline's database. */
export function p9RawDrop(p: { name: string }): Promise<void> {
  return deleteIdb(p.name)
}
