/**
 * A tab alone announces nothing (a BroadcastChannel message per commit is a quarter of its cost);
 * a tab that opens later says 'hi', is answered with the log's position, and from then on hears
 * every commit.
 */
import { expect, it } from 'vitest'
import type { BackendFactory, Durability, Mode } from '../../src/backend/backend.js'
import { idbBackend } from '../../src/backend/idb.js'
import { openDatabaseOn } from '../../src/open.js'
import { openDatabase, type TableEvent } from '../../src/index.js'
import { uniqueName } from './helpers.js'

it('a lone tab skips announcements; a tab opened later hears every commit', async () => {
  const name = uniqueName('ann')
  const a = await openDatabase({ name })
  const link = (a as unknown as { local: { link: { post: (m: { t: string }) => void } } }).local.link
  const posted: string[] = []
  let answered!: () => void
  const answer = new Promise<void>((resolve) => (answered = resolve))
  const post = link.post.bind(link)
  link.post = (m) => {
    posted.push(m.t)
    if (m.t === 'lsn') answered()
    post(m)
  }
  await a.createTable('kv', { attributes: ['k', 'v'] })
  for (let i = 0; i < 3; i++) await a.dirtyWrite('kv', { k: i, v: 'alone' })
  expect(posted.filter((t) => t === 'lsn')).toEqual([])

  const b = await openDatabase({ name })
  expect((await b.dirtyMatchObject('kv', {})).length).toBe(3)
  const heard = new Promise<TableEvent>((resolve) => b.subscribe({ table: 'kv' }, resolve))
  // Once a has heard b's 'hi' (it answers with its LSN), its commits are announced.
  await answer
  await a.dirtyWrite('kv', { k: 'later', v: 'announced' })
  expect(await heard).toEqual({ type: 'write', table: 'kv', record: { k: 'later', v: 'announced' }, origin: 'tab' })
  await a.close()
  await b.close()
})

/** A backend factory over IndexedDB that counts the read-only transactions on the log (catch-ups). */
function countingLogReads(): { factory: BackendFactory; reads: () => number } {
  let reads = 0
  const factory: BackendFactory = (name, create) => {
    const inner = idbBackend(name, create)
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'transaction') {
          return (stores: readonly string[], mode: Mode, durability?: Durability) => {
            if (mode === 'readonly' && stores.includes('log')) reads++
            return target.transaction(stores, mode, durability)
          }
        }
        const v: unknown = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
  }
  return { factory, reads: () => reads }
}

it('a small commit travels with its announcement: the other tab applies it without reading the log', async () => {
  const name = uniqueName('ann')
  const a = await openDatabase({ name })
  await a.createTable('kv', { attributes: ['k', 'v'] })
  const counted = countingLogReads()
  const b = await openDatabaseOn(counted.factory, { name })
  await b.waitForTables(['kv'], 5_000)
  const before = counted.reads()
  for (let i = 0; i < 20; i++) {
    const heard = new Promise<TableEvent>((resolve) => {
      const off = b.subscribe({ table: 'kv' }, (ev) => {
        off()
        resolve(ev)
      })
    })
    await a.dirtyWrite('kv', { k: i, v: 'small' })
    expect(await heard).toEqual({ type: 'write', table: 'kv', record: { k: i, v: 'small' }, origin: 'tab' })
  }
  expect(counted.reads() - before).toBe(0)
  // A large commit is announced by its LSN alone: b reads it from the log.
  const big = new Promise<void>((resolve) => {
    const off = b.subscribe({ table: 'kv' }, (ev) => {
      if (ev.type === 'write' && ev.record['k'] === 'big-299') {
        off()
        resolve()
      }
    })
  })
  await a.transaction(async (t) => {
    for (let i = 0; i < 300; i++) await t.write('kv', { k: `big-${String(i)}`, v: 'x' })
  })
  await big
  expect(counted.reads() - before).toBeGreaterThan(0)
  expect((await b.dirtyMatchObject('kv', {})).length).toBe(320)
  await a.close()
  await b.close()
})
