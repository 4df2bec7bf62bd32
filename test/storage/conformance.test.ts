/**
 * One conformance suite over both table copies: MemoryTable (Map / B+ tree) and IdbTable
 * (IndexedDB object store, here fake-indexeddb), for every table type. Both must answer every
 * read the same way, in term order.
 */
import { describe, expect, it } from 'vitest'
import { IdbBackend } from '../../src/backend/idb.js'
import { makeTableDef, storeName, type TableDef, type TableType } from '../../src/schema/table-def.js'
import { IdbTable, writeChange } from '../../src/storage/idb-table.js'
import { MemoryTable } from '../../src/storage/memory-table.js'
import type { TableReader } from '../../src/storage/reader.js'
import { applyIntent, importRecord, keyOf, type Rec } from '../../src/storage/record.js'
import { compareKeys, KeyMap, type Key } from '../../src/storage/term.js'

let n = 0

/** A table copy under test, and how to change it (as the commit path does). */
interface Subject {
  reader: TableReader
  set(key: Key, recs: readonly Rec[]): Promise<void>
}

/** The reference state both copies must agree with. */
class Model {
  readonly slots = new KeyMap<{ key: Key; recs: readonly Rec[] }>()
  constructor(readonly def: TableDef) {}
  get(key: Key): readonly Rec[] {
    return this.slots.get(key)?.recs ?? []
  }
}

async function memorySubject(def: TableDef): Promise<Subject> {
  const mem = new MemoryTable(def)
  let lsn = 0
  return Promise.resolve({
    reader: mem,
    set: (key, recs) => {
      mem.apply({ key, old: mem.readSync(key), recs }, ++lsn)
      return Promise.resolve()
    },
  })
}

function idbSubject(def: TableDef): Promise<Subject> {
  const name = `conf-${String(++n)}`
  const sn = storeName(def)
  const backend = new IdbBackend(name, (tx) => {
    for (const s of ['meta', 'schema', 'log', 'tabs']) tx.createStore(s)
    tx.createStore(sn)
    if (def.storage === 'disc_only_copies') for (const a of def.index) tx.createIndex(sn, a)
  })
  const current = new KeyMap<readonly Rec[]>()
  return Promise.resolve({
    reader: new IdbTable(def, backend),
    set: async (key, recs) => {
      const tx = await backend.transaction([sn], 'readwrite')
      writeChange(tx.store(sn), def, { key, old: current.get(key) ?? [], recs })
      current.set(key, recs)
      await tx.done
    },
  })
}

const KEYS: Key[] = [3, -1, 2.5, 'b', 'a', 'ab', new Date(5), [1, 'x'], [1], [0, 2], 'zz', 100]

for (const type of ['set', 'ordered_set', 'bag'] as TableType[]) {
  for (const [impl, make] of [
    ['memory', memorySubject],
    ['indexeddb', idbSubject],
  ] as const) {
    describe(`${impl} copy of a ${type} table`, () => {
      const def = makeTableDef('t', { attributes: ['k', 'color', 'n'], type, index: ['color'], storage: 'disc_only_copies' }, 'ck')

      async function filled(): Promise<{ s: Subject; model: Model }> {
        const s = await make(def)
        const model = new Model(def)
        const bag = type === 'bag'
        let i = 0
        for (const k of KEYS) {
          for (let j = 0; j < (bag ? 2 : 1); j++) {
            const rec = importRecord(def, { k, color: i % 3 === 0 ? 'red' : 'blue', n: i++ })
            const recs = applyIntent(model.get(k), { w: rec }, bag)
            model.slots.set(k, { key: k, recs })
            await s.set(k, recs)
          }
        }
        return { s, model }
      }
      const sorted = [...KEYS].sort(compareKeys)

      it('reads every key as stored, [] for a missing key', async () => {
        const { s, model } = await filled()
        for (const k of KEYS) expect(await s.reader.read(k)).toEqual(model.get(k))
        expect(await s.reader.read('missing')).toEqual([])
        expect(await s.reader.count()).toBe(type === 'bag' ? KEYS.length * 2 : KEYS.length)
      })

      it('iterates keys in term order: allKeys, first, last, next, prev', async () => {
        const { s } = await filled()
        expect(await s.reader.allKeys()).toEqual(sorted)
        expect(await s.reader.first()).toEqual(sorted[0])
        expect(await s.reader.last()).toEqual(sorted[sorted.length - 1])
        for (let i = 0; i < sorted.length; i++) {
          expect(await s.reader.next(sorted[i] as Key)).toEqual(sorted[i + 1])
          expect(await s.reader.prev(sorted[i] as Key)).toEqual(sorted[i - 1])
        }
        // next/prev of a key that is not stored still step in term order.
        expect(await s.reader.next(2.7)).toEqual(3)
        expect(await s.reader.prev(2.7)).toEqual(2.5)
      })

      it('scans within bounds, open or closed, forward and reverse, in batches', async () => {
        const { s, model } = await filled()
        const collect = async (b: object, reverse: boolean, batch: number): Promise<Key[]> => {
          const out: Key[] = []
          for await (const recs of s.reader.scan(b, reverse, batch)) {
            expect(recs.length).toBeGreaterThan(0)
            expect(recs.length).toBeLessThanOrEqual(batch + 1)
            for (const r of recs) out.push(keyOf(def, r))
          }
          return out
        }
        const expand = (keys: Key[]): Key[] => keys.flatMap((k) => model.get(k).map(() => k))
        expect(await collect({}, false, 3)).toEqual(expand(sorted))
        expect(await collect({}, true, 2)).toEqual(expand([...sorted].reverse()))
        const inRange = sorted.filter((k) => compareKeys(k, 2.5) >= 0 && compareKeys(k, 'b') < 0)
        expect(await collect({ lower: 2.5, upper: 'b', upperOpen: true }, false, 2)).toEqual(expand(inRange))
        const open = sorted.filter((k) => compareKeys(k, 2.5) > 0 && compareKeys(k, 'b') <= 0)
        expect(await collect({ lower: 2.5, lowerOpen: true, upper: 'b' }, true, 1)).toEqual(expand([...open].reverse()))
        expect(await collect({ lower: 'zz', upper: 'a' }, false, 5)).toEqual([])
      })

      it('keeps the secondary index exact through overwrites and deletes', async () => {
        const { s, model } = await filled()
        const byColor = async (c: string): Promise<number[]> => (await s.reader.indexRead('color', c)).map((r) => r['n'] as number).sort((a, b) => a - b)
        const expected = (c: string): number[] =>
          [...model.slots.values()].flatMap((sl) => sl.recs.filter((r) => r['color'] === c).map((r) => r['n'] as number)).sort((a, b) => a - b)
        expect(await byColor('red')).toEqual(expected('red'))
        // Repaint key 'b' green, delete key 3 entirely.
        const recs = model.get('b').map((r) => importRecord(def, { ...r, color: 'green' }))
        model.slots.set('b', { key: 'b', recs })
        await s.set('b', recs)
        model.slots.delete(3)
        await s.set(3, [])
        for (const c of ['red', 'blue', 'green', 'none']) expect(await byColor(c)).toEqual(expected(c))
        expect(await s.reader.read(3)).toEqual([])
        expect(await s.reader.allKeys()).toEqual(sorted.filter((k) => k !== 3))
      })
    })
  }
}
