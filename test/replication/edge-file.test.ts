/**
 * An edge node: nodes whose disc tables live in files (`openDatabase({ name, dir })`, the file
 * backend) join and replicate as IndexedDB nodes do — replication keeps its own state (the `ydoc`
 * store, `meta.partition`) through the backend seam — and what they copied survives a restart.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { fileBackend, filesClosed } from '../../src/backend/file/backend.js'
import { openDatabase, type Database } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

mkdirSync('.tmp', { recursive: true })
const root = mkdtempSync(join('.tmp', 'edge-file-'))
const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
  await filesClosed()
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

async function fileNode(name: string, dir: string): Promise<Database> {
  const db = await openDatabase({ name, dir })
  open.push(db)
  return db
}

async function closeAll(): Promise<void> {
  for (const db of open.splice(0)) await db.close()
  await filesClosed()
}

it('two file-backed nodes copy tables to each other, both ways, and keep them across a restart', async () => {
  const [da, db_] = [join(root, 'a'), join(root, 'b')]
  const [na, nb] = [uniqueName('fa'), uniqueName('fb')]
  let net = new Network()
  let a = await fileNode(na, da)
  let b = await fileNode(nb, db_)
  await a.createTable('x', { attributes: ['k', 'v'] })
  for (let i = 0; i < 50; i++) await a.dirtyWrite('x', { k: i, v: `a${String(i)}` })
  await b.createTable('y', { attributes: ['k', 'v'], type: 'ordered_set' })
  await b.dirtyWrite('y', { k: 'only-b', v: new Date(7) })
  await a.join({ room: 'edge', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'edge', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  await b.waitForTables(['x'], 5000)
  await a.waitForTables(['y'], 5000)
  expect(b.tableInfo('x', 'size')).toBe(50)
  expect(await b.dirtyRead('x', 7)).toEqual([{ k: 7, v: 'a7' }])
  expect(await a.dirtyRead('y', 'only-b')).toEqual([{ k: 'only-b', v: new Date(7) }])
  // Live commits flow both ways once joined.
  await b.transaction((t) => t.write('x', { k: 100, v: 'from b' }))
  await a.transaction((t) => t.write('y', { k: 'from-a', v: 1 }))
  await quiet(net, [a, b])
  expect(await a.dirtyRead('x', 100)).toEqual([{ k: 100, v: 'from b' }])
  expect(await b.dirtyRead('y', 'from-a')).toEqual([{ k: 'from-a', v: 1 }])
  // Restart both processes' handles: the tables come back from the files.
  await closeAll()
  // The replication document and the partition record went to the files, not to IndexedDB.
  const raw = fileBackend(da)(na, () => {
    throw new Error('not a fresh node')
  })
  expect(await raw.storeNames()).toContain('ydoc')
  const r = await raw.transaction(['ydoc', 'meta'], 'readonly')
  expect(await r.store('ydoc').count()).toBeGreaterThan(0)
  expect(await r.store('meta').get('partition')).toMatchObject({ known: [b.node] })
  raw.close()
  await filesClosed()
  a = await fileNode(na, da)
  b = await fileNode(nb, db_)
  expect(b.tableInfo('x', 'size')).toBe(51)
  expect(b.tableInfo('x', 'storageType')).toBe('disc_copies')
  expect(await b.dirtyRead('x', 100)).toEqual([{ k: 100, v: 'from b' }])
  expect(await a.dirtyRead('y', 'only-b')).toEqual([{ k: 'only-b', v: new Date(7) }])

  // Joined again, they carry on from the stored document: a write made apart reaches the other.
  await b.dirtyWrite('x', { k: 200, v: 'apart' })
  net = new Network()
  await a.join({ room: 'edge', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'edge', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  await quiet(net, [a, b])
  expect(await a.dirtyRead('x', 200)).toEqual([{ k: 200, v: 'apart' }])
  expect(a.tableInfo('x', 'size')).toBe(52)
})

it('a file-backed node adopts a disc_only_copies table and reconciles it on the next join', async () => {
  const dir = join(root, 'c')
  const net = new Network()
  const src = await openDatabase({ name: uniqueName('idb') })
  open.push(src)
  await src.createTable('d', { attributes: ['k', 'v'], storage: 'disc_only_copies' })
  for (let i = 0; i < 20; i++) await src.dirtyWrite('d', { k: i, v: i * i })
  const edge = await fileNode(uniqueName('fc'), dir)
  await src.join({ room: 'do', transport: net.transport(0), resyncMs: 0 })
  await edge.join({ room: 'do', transport: net.transport(1), resyncMs: 0, copyType: 'disc_only_copies' })
  net.connect(0, 1)
  await quiet(net, [src, edge])
  await edge.waitForTables(['d'], 5000)
  expect(edge.tableInfo('d', 'storageType')).toBe('disc_only_copies')
  expect((await edge.dirtyMatchObject('d', {})).length).toBe(20)
  expect(await edge.dirtyRead('d', 4)).toEqual([{ k: 4, v: 16 }])
})
