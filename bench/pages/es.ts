/**
 * ES: the event store. Appends per second with 1 event per call and 100 per call, beside raw
 * IndexedDB puts of the same events (one strict transaction per call); a projection catching up
 * over n events (one counter row per stream, batches of 500); `load` of an aggregate whose stream
 * holds n events, with a snapshot at its last version and without one.
 */
import { openDatabase, type RecordedEvent } from '../../src/index.js'
import { check, done, dropLib, now, rawOpen, uniqueName } from './common.js'

const payload = (i: number): { type: string; data: { amount: number; note: string } } => ({ type: 'Deposited', data: { amount: i % 100, note: `event ${String(i)}` } })

async function rawEvents(name: string): Promise<IDBDatabase> {
  const db = await rawOpen(name)
  db.close()
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 2)
    req.onupgradeneeded = () => req.result.createObjectStore('events')
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('open failed'))
  })
}

export async function esAppend(p: { calls1: number; calls100: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const db = await openDatabase({ name: uniqueName('es-append') })
  const es = db.eventStore()
  await es.append('warm', [payload(0)])
  let t0 = now()
  for (let i = 0; i < p.calls1; i++) await es.append(`s${String(i % 10)}`, [payload(i)])
  out['lib.append1PerSec'] = p.calls1 / ((now() - t0) / 1000)
  t0 = now()
  for (let i = 0; i < p.calls100; i++) await es.append(`s${String(i % 10)}`, Array.from({ length: 100 }, (_, j) => payload(i * 100 + j)))
  out['lib.append100EventsPerSec'] = (p.calls100 * 100) / ((now() - t0) / 1000)
  check((await es.read('s0')).length > 0, 'events were appended')
  await dropLib(db)

  const name = uniqueName('es-raw')
  const raw = await rawEvents(name)
  let seq = 0
  const put = async (n: number): Promise<void> => {
    const tx = raw.transaction('events', 'readwrite', { durability: 'strict' })
    const store = tx.objectStore('events')
    for (let j = 0; j < n; j++) {
      seq++
      store.put({ stream: `s${String(seq % 10)}`, seq, ...payload(seq), at: Date.now() }, seq)
    }
    await done(tx)
  }
  t0 = now()
  for (let i = 0; i < p.calls1; i++) await put(1)
  out['raw.put1PerSec'] = p.calls1 / ((now() - t0) / 1000)
  t0 = now()
  for (let i = 0; i < p.calls100; i++) await put(100)
  out['raw.put100EventsPerSec'] = (p.calls100 * 100) / ((now() - t0) / 1000)
  raw.close()
  indexedDB.deleteDatabase(name)
  return out
}

export async function esProjection(p: { events: number }): Promise<Record<string, number>> {
  const db = await openDatabase({ name: uniqueName('es-proj') })
  const es = db.eventStore()
  for (let i = 0; i < p.events; i += 1000) await es.append(`acc-${String((i / 1000) % 100)}`, Array.from({ length: Math.min(1000, p.events - i) }, (_, j) => payload(i + j)))
  await db.createTable('totals', { attributes: ['id', 'sum'], localContent: true })
  const t0 = now()
  db.projection('totals', {
    batchSize: 500,
    handle: async (t, ev: RecordedEvent) => {
      const [r] = await t.read('totals', ev.stream)
      await t.write('totals', { id: ev.stream, sum: ((r?.['sum'] as number | undefined) ?? 0) + (ev.data as { amount: number }).amount })
    },
  })
  const { waitForCheckpoint } = await import('../../src/eventstore/projection.js')
  await waitForCheckpoint(await es.loaded(), 'totals', p.events, Infinity)
  const ms = now() - t0
  await dropLib(db)
  return { 'lib.catchUpMs': ms, 'lib.catchUpEventsPerSec': p.events / (ms / 1000) }
}

export async function esLoad(p: { events: number; loads: number }): Promise<Record<string, number>> {
  const db = await openDatabase({ name: uniqueName('es-load') })
  const es = db.eventStore()
  for (let i = 0; i < p.events - 1; i += 1000) await es.append('big', Array.from({ length: Math.min(1000, p.events - 1 - i) }, (_, j) => payload(i + j)))
  const def = {
    initial: () => ({ balance: 0, n: 0 }),
    execute: () => [payload(0)],
    apply: (s: { balance: number; n: number }, ev: RecordedEvent) => ({ balance: s.balance + (ev.data as { amount: number }).amount, n: s.n + 1 }),
  }
  const snap = db.aggregate('big', { ...def, snapshotEvery: 100 })
  const plain = db.aggregate('big', def)
  await snap.dispatch('big', null) // the last event: a snapshot at version n
  check((await db.dirtyRead('es:snapshot', ['big', 'big'])).length === 1, 'a snapshot was saved')
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = now()
    for (let i = 0; i < p.loads; i++) await f()
    return (now() - t0) / p.loads
  }
  const out = { 'lib.loadSnapshotMs': await time(() => snap.load('big')), 'lib.loadNoSnapshotMs': await time(() => plain.load('big')) }
  check((await snap.load('big')).state.n === p.events && (await plain.load('big')).state.n === p.events, 'both loads see every event')
  await dropLib(db)
  return out
}
