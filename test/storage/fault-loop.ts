/**
 * A storage fault loop (SQLite's I/O-error loop; issue 14, item 5). A fixed workload — open
 * (load), schema changes, commits, a group commit, a dirty write, a dump, a peer commit (a
 * remote change committed through the Committer), a reopen (load again) — runs on a backend
 * wrapped in the fault wrapper (src/backend/faults.ts). A clean run counts its storage requests
 * (R); then for every N in 1..R the Nth request fails, once (transient) and from then on
 * (persistent), and once after it landed (its transaction commits but reports a failure: an
 * unknown outcome). After each run:
 *
 * - every step ended in success or a typed WebnesiaError, within 5 s;
 * - every acknowledged commit is there; a failed one is there whole or not at all;
 * - with the fault gone, the next commit succeeds;
 * - memory equals disc: the node's tables equal those of a fresh open of the same storage.
 */
import { expect } from 'vitest'
import { Faults, type FaultHandle } from '../../src/backend/faults.js'
import type { BackendFactory } from '../../src/backend/backend.js'
import { WebnesiaError, type Database } from '../../src/index.js'
import { openDatabaseOn } from '../../src/open.js'
import { canonical } from '../../src/storage/term.js'
import { commitKeys } from '../../src/replication/doc-commit.js'
import type { ReplicationContext } from '../../src/replication/context.js'
import { keyString } from '../../src/replication/codec.js'
import type { LocalNode } from '../../src/node.js'
import type { Committer } from '../../src/txn/committer.js'

const LIMIT_MS = 5000

/** Once; from then on; once, after the request landed (its transaction commits, `done` rejects). */
export const MODES = ['transient', 'persistent', 'landed'] as const
type Mode = (typeof MODES)[number]

/** What one run saw. */
export interface LoopStats {
  /** Storage requests of the clean run (the fault points per mode). */
  requests: number
  /** Runs made (3 × requests: {@link MODES}). */
  runs: number
  /** Steps that failed with a typed error, by step. */
  failures: Map<string, number>
}

interface Txn {
  keys: number[]
  value: string
  acked: boolean
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${String(LIMIT_MS)} ms`)), LIMIT_MS)))
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

async function tables(db: Database): Promise<string> {
  const out: unknown[] = []
  for (const t of (db.systemInfo('tables') as string[]).sort()) out.push(t, db.tableInfo(t, 'attributes'), db.tableInfo(t, 'index'), await db.dirtyMatchObject(t, {}))
  return canonical(out)
}

interface Internals {
  local: LocalNode
  committer: Committer
}

/** A remote change of `acct` keys committed the way the replicator commits one (origin 'peer'). */
async function peerCommit(db: Database, keys: number[], value: string): Promise<void> {
  const { local, committer } = db as unknown as Internals
  const recs = new Map(keys.map((k) => [keyString(k), [{ id: k, v: value }]]))
  const ctx = {
    node: local,
    committer,
    rdoc: { table: () => ({ get: (ks: string) => recs.get(ks) }) },
  } as unknown as ReplicationContext
  const invalid = await commitKeys(ctx, 'peer@x', new Map([['acct', keys]]))
  if (invalid > 0) throw new Error('invalid peer records')
}

type Step = [name: string, run: (db: Database, txns: Txn[]) => Promise<unknown>]

let next = 0
const txn = (txns: Txn[], n: number): Txn => {
  const t: Txn = { keys: Array.from({ length: n }, () => ++next), value: `v${String(next)}`, acked: false }
  txns.push(t)
  return t
}
const commit = async (db: Database, t: Txn): Promise<void> => {
  await db.transaction(async (x) => {
    for (const k of t.keys) await x.write('acct', { id: k, v: t.value })
  })
  t.acked = true
}

/** The workload after open (the reopen is the loop's). */
const STEPS: Step[] = [
  ['schema: createTable', (db) => db.createTable('acct', { attributes: ['id', 'v'] })],
  ['schema: createTable ram', (db) => db.createTable('mem', { attributes: ['id', 'v'], storage: 'ram_copies' })],
  ['commit', (db, txns) => commit(db, txn(txns, 3))],
  ['group commit', (db, txns) => Promise.allSettled([1, 2, 3, 4].map(() => commit(db, txn(txns, 2)))).then((rs) => rs.find((r) => r.status === 'rejected'))],
  [
    'dirty write',
    async (db, txns) => {
      const t = txn(txns, 1)
      await db.dirtyWrite('acct', { id: t.keys[0], v: t.value })
      t.acked = true
    },
  ],
  ['dump', (db) => db.dumpLog()],
  ['schema: addTableIndex', (db) => db.addTableIndex('acct', 'v')],
  ['commit after index', (db, txns) => commit(db, txn(txns, 2))],
  [
    'peer commit',
    async (db, txns) => {
      const t = txn(txns, 2)
      await peerCommit(db, t.keys, t.value)
      // A peer's change of a table this node does not have is left out (not a failure).
      t.acked = (db.systemInfo('tables') as string[]).includes('acct')
    },
  ],
  ['dump again', (db) => db.dumpLog()],
  ['schema: deleteTable', (db) => db.deleteTable('mem')],
  ['commit last', (db, txns) => commit(db, txn(txns, 2))],
]

let runNo = 0

/**
 * One run of the workload with `rule` (or none). Returns how many storage requests it made.
 * `check` is false for the counting run.
 */
async function run(backend: BackendFactory, faults: Faults, nth: number | null, mode: Mode, failures: Map<string, number>): Promise<number> {
  const name = `fault-loop-${String(++runNo)}`
  const counter = faults.add({ nth: Number.MAX_SAFE_INTEGER })
  const rule: FaultHandle | null = nth === null ? null : faults.add({ nth, persistent: mode === 'persistent', landed: mode === 'landed' })
  const wrapped = faults.wrap(backend)
  const txns: Txn[] = []
  const fail = (step: string, e: unknown): void => {
    if (!(e instanceof WebnesiaError)) throw new Error(`N=${String(nth)} ${mode}: ${step} failed with a ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : typeof e}`)
    failures.set(step, (failures.get(step) ?? 0) + 1)
    if (process.env['FAULT_DEBUG']) console.log(`N=${String(nth)} ${mode} ${step}: ${e.message}`)
  }
  let db: Database | null = null
  const open = async (step: string): Promise<void> => {
    try {
      db = await withTimeout(openDatabaseOn(wrapped, { name }), step)
    } catch (e) {
      fail(step, e)
      rule?.remove()
      db = await withTimeout(openDatabaseOn(wrapped, { name }), `${step} without the fault`)
    }
  }
  try {
    await open('load')
    for (const [step, fn] of STEPS) {
      try {
        const r = await withTimeout(fn(db as unknown as Database, txns), step)
        if (r && typeof r === 'object' && 'reason' in r) fail(step, r.reason)
      } catch (e) {
        fail(step, e)
      }
    }
    // The reopen: load again, through the faults.
    await withTimeout((db as unknown as Database).close(), 'close')
    db = null
    await open('reload')
    const requests = counter.seen
    // The fault goes; the next commit succeeds (creating the table if its creation failed).
    rule?.remove()
    const d = db as unknown as Database
    if (!(d.systemInfo('tables') as string[]).includes('acct')) await d.createTable('acct', { attributes: ['id', 'v'] })
    await withTimeout(commit(d, txn(txns, 2)), 'the commit after the fault')
    // Acknowledged commits are there; failed ones whole or not at all.
    for (const t of txns) {
      const got = await Promise.all(t.keys.map(async (k) => (await d.dirtyRead('acct', k))[0]?.['v']))
      const there = got.filter((v) => v === t.value).length
      const where = `N=${String(nth)} ${mode}: keys ${t.keys.join(',')}`
      if (t.acked) expect(there, `${where} acknowledged, lost`).toBe(t.keys.length)
      else expect([0, t.keys.length], `${where} partial`).toContain(there)
    }
    // Memory equals disc.
    const mem = await tables(d)
    const fresh = await openDatabaseOn(backend, { name })
    try {
      expect(await tables(fresh), `N=${String(nth)} ${mode}: disc differs from memory`).toBe(mem)
    } finally {
      await fresh.close()
    }
    return requests
  } finally {
    counter.remove()
    rule?.remove()
    if (db) await (db as Database).close().catch(() => undefined)
  }
}

/** The whole loop over `backend`. */
export async function faultLoop(backend: BackendFactory, opts: { stride?: number } = {}): Promise<LoopStats> {
  const faults = new Faults()
  const failures = new Map<string, number>()
  const requests = await run(backend, faults, null, 'transient', failures)
  expect(failures.size).toBe(0)
  let runs = 0
  for (let n = Number(process.env['FAULT_FROM'] ?? 1); n <= requests; n += opts.stride ?? 1) {
    for (const mode of MODES) {
      await run(backend, faults, n, mode, failures)
      runs++
    }
  }
  return { requests, runs, failures }
}
