/**
 * P2: one-record transactions, one after another (await each), against raw IndexedDB strict
 * put-and-commit. P3: 100 one-record transactions at once (Promise.all), whose group commit should
 * beat one-at-a-time strict commits by far.
 */
import { check, done, dropLib, dropRaw, item, now, profileEnd, profileStart, rawCount, rawWithItems, request, rotated, uniqueName } from './common.js'
import { dexieWithItems, dropDexie } from './competitors.js'
import { openDatabase } from '../../src/index.js'
import { ITEM_ATTRS } from './common.js'

async function freshLib(prefix: string) {
  const db = await openDatabase({ name: uniqueName(prefix) })
  await db.createTable('items', { attributes: [...ITEM_ATTRS], storage: 'disc_copies' })
  return db
}

/** Milliseconds per commit of `n` raw strict put-and-commit transactions, one after another. */
async function rawSequential(n: number, base: number): Promise<number> {
  const raw = await rawWithItems(uniqueName('p2-raw'))
  const ms = await rawSequentialOn(raw, n, base)
  check((await rawCount(raw)) === n, 'raw wrote every record')
  await dropRaw(raw)
  return ms
}

async function rawSequentialOn(raw: IDBDatabase, n: number, base: number): Promise<number> {
  const t0 = now()
  for (let i = 0; i < n; i++) {
    const tx = raw.transaction('items', 'readwrite', { durability: 'strict' })
    tx.objectStore('items').put(item(base + i))
    await done(tx)
  }
  return (now() - t0) / n
}

/**
 * Raw IndexedDB doing what one library commit does to disc, without the library: in one strict
 * transaction, `add` one log record holding the group's entries (the change, as the library logs
 * it) under the next LSN (the key that makes racing commits collide); the records reach the
 * table's store later, in a dump (src/log/dumper.ts), which the `withDump` figures count.
 * Returns a writer of `commits` transactions of `perCommit` records each, giving milliseconds per
 * commit, and its clean-up. This separates the cost of the on-disc design (the log record) from
 * the library's JavaScript.
 */
async function rawLikeLib(): Promise<{ run: (commits: number, perCommit: number) => Promise<number>; drop: () => Promise<void> }> {
  const name = uniqueName('raw-like-lib')
  const req = indexedDB.open(name, 1)
  req.onupgradeneeded = () => {
    const d = req.result
    d.createObjectStore('items', { keyPath: 'id' })
    d.createObjectStore('log')
  }
  const db = await request(req)
  let n = 0
  let lsn = 0
  const run = async (commits: number, perCommit: number): Promise<number> => {
    const t0 = now()
    for (let c = 0; c < commits; c++) {
      const tx = db.transaction(['log'], 'readwrite', { durability: 'strict' })
      const entries: unknown[] = []
      const first = lsn + 1
      for (let i = 0; i < perCommit; i++) {
        const r = item(n++)
        lsn++
        entries.push({ lsn, cid: crypto.randomUUID(), tab: 'tab-x', ops: [{ k: 'put', t: 'items', key: r.id, old: [], recs: [r] }] })
      }
      tx.objectStore('log').add(entries, first)
      await done(tx)
    }
    return (now() - t0) / commits
  }
  return { run, drop: () => dropRaw(db) }
}

/**
 * P2 runs its contenders interleaved: `blocks` rounds, each giving every contender `txns / blocks`
 * sequential transactions (in an order rotated by round and repetition), so that all of them see
 * the same background conditions of the machine (the IndexedDB backend compacting, other jobs).
 * Each figure is the contender's mean over all its blocks.
 */
export async function p2(p: { txns: number; blocks: number; dexie: boolean; rep: number }): Promise<Record<string, number>> {
  const per = Math.max(1, Math.floor(p.txns / p.blocks))
  const lib = await freshLib('p2')
  const raw = await rawWithItems(uniqueName('p2-raw'))
  const likeLib = await rawLikeLib()
  const dx = p.dexie ? await dexieWithItems(uniqueName('p2-dexie')) : null
  const total: Record<string, number> = {}
  const add = (k: string, ms: number): void => {
    total[k] = (total[k] ?? 0) + ms
  }
  const next: Record<string, number> = { lib: 0, raw: 0, dexie: 0 }
  const take = (k: string): number => (next[k] = (next[k] ?? 0) + 1) - 1
  const contenders: (() => Promise<void>)[] = [
    async () => {
      const t0 = now()
      for (let i = 0; i < per; i++) {
        const r = item(take('lib'))
        await lib.transaction(async (t) => t.write('items', r))
      }
      add('lib.txn', now() - t0)
    },
    async () => {
      add('raw.strict', (await rawSequentialOn(raw, per, next['raw'] ?? 0)) * per)
      next['raw'] = (next['raw'] ?? 0) + per
    },
    async () => {
      add('raw.likeLib', (await likeLib.run(per, 1)) * per)
    },
  ]
  if (dx) {
    contenders.push(async () => {
      const t0 = now()
      for (let i = 0; i < per; i++) await dx.table.put(item(take('dexie')))
      add('dexie.put', now() - t0)
    })
  }
  profileStart('P2 lib.txn')
  for (let b = 0; b < p.blocks; b++) await rotated(p.rep + b, contenders)
  profileEnd('P2 lib.txn')
  const n = per * p.blocks
  const out: Record<string, number> = {}
  for (const [k, ms] of Object.entries(total)) out[k] = ms / n
  // The library's commits with the dump that writes their records into the table's store (done
  // in the background as the application runs; counted here to show the whole disc cost).
  const t0 = now()
  await lib.dumpLog()
  out['lib.txnWithDump'] = (out['lib.txn'] as number) + (now() - t0) / n
  check(lib.tableInfo('items', 'size') === n, 'library wrote every record')
  check((await rawCount(raw)) === n, 'raw wrote every record')
  if (dx) check((await dx.table.count()) === n, 'Dexie wrote every record')
  await dropLib(lib)
  await dropRaw(raw)
  await likeLib.drop()
  if (dx) await dropDexie(dx.db)
  return out
}

/** Counts the readwrite IndexedDB transactions started while `fn` runs (how well commits group). */
async function countingCommits<T>(fn: () => Promise<T>): Promise<{ value: T; commits: number }> {
  const proto = IDBDatabase.prototype
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below; called with the right `this`
  const original = proto.transaction
  let commits = 0
  proto.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    if (args[1] === 'readwrite') commits++
    return original.apply(this, args)
  } as IDBDatabase['transaction']
  try {
    return { value: await fn(), commits }
  } finally {
    proto.transaction = original
  }
}

export async function p3(p: { concurrent: number; bursts: number; rawTxns: number; rep: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const lib = async (): Promise<void> => {
    const db = await freshLib('p3')
    let next = 0
    profileStart('P3 lib.concurrent')
    const t0 = now()
    const { commits } = await countingCommits(async () => {
      for (let b = 0; b < p.bursts; b++) {
        const burst: Promise<void>[] = []
        for (let i = 0; i < p.concurrent; i++) {
          const r = item(next++)
          burst.push(db.transaction(async (t) => t.write('items', r)))
        }
        await Promise.all(burst)
      }
    })
    const secs = (now() - t0) / 1000
    profileEnd('P3 lib.concurrent')
    out['lib.concurrentTps'] = next / secs
    await db.dumpLog()
    out['lib.concurrentWithDumpTps'] = (next * 1000) / (now() - t0)
    out['lib.idbCommitsPerBurst'] = commits / p.bursts
    check(db.tableInfo('items', 'size') === next, 'library wrote every record')
    await dropLib(db)
  }
  const rawSeq = async (): Promise<void> => {
    out['raw.sequentialTps'] = 1000 / (await rawSequential(p.rawTxns, 0))
  }
  // The ceiling for a group commit: the same bursts as raw puts, each burst in one strict transaction.
  const rawBurst = async (): Promise<void> => {
    const raw = await rawWithItems(uniqueName('p3-raw'))
    const t0 = now()
    for (let b = 0, n = 0; b < p.bursts; b++) {
      const tx = raw.transaction('items', 'readwrite', { durability: 'strict' })
      const store = tx.objectStore('items')
      for (let i = 0; i < p.concurrent; i++) store.put(item(n++))
      await done(tx)
    }
    out['raw.burstInOneTxTps'] = (p.bursts * p.concurrent * 1000) / (now() - t0)
    await dropRaw(raw)
  }
  const likeLib = async (): Promise<void> => {
    const writer = await rawLikeLib()
    out['raw.burstLikeLibTps'] = (p.concurrent * 1000) / (await writer.run(p.bursts, p.concurrent))
    await writer.drop()
  }
  await rotated(p.rep, [lib, rawSeq, rawBurst, likeLib])
  return out
}
