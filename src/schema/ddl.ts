/**
 * Schema changes (Mnesia's schema transactions): create, delete, transform a table, add and
 * drop an index.
 *
 * Each runs in ONE IndexedDB version-change transaction, which excludes every other transaction
 * of every tab on the database: it catches up with the log, checks the change against the schema
 * store (the one source of truth, shared by all tabs), dumps the log into the disc_copies stores
 * (log/dumper.ts), creates or drops object stores and indexes, writes the schema row and the
 * records it changes, and appends a schema log entry under the next LSN. Every tab
 * (this one included) then applies the entry from the log like any other commit, so schema and
 * data changes are seen everywhere in one order.
 *
 * @module
 */
import type { IDBPDatabase, IDBPObjectStore } from 'idb'
import { BadRecordError, NoSuchTableError, TableExistsError, TransactionAbortedError, WebnesiaError, safeString } from '../errors.js'
import { fire, LOG, META, SCHEMA, type UpgradeTx } from '../log/connection.js'
import { DUMPED, dumpLog } from '../log/dumper.js'
import { newId, readLog, type LogEntry, type LogOp } from '../log/entry.js'
import { currentLsn, GapError, type LocalNode } from '../node.js'
import { groupRows, writeChange } from '../storage/idb-table.js'
import { applyIntent, exportRecord, importRecord, keyOf, type Rec } from '../storage/record.js'
import { compareKeys, KeyMap, type Key } from '../storage/term.js'
import { checkAttributes, checkIndexAttr, checkTableName, makeTableDef, storeName, type TableDef, type TableOptions } from './table-def.js'

/** What a schema change does inside the version-change transaction; returns the entry's ops. */
type Change = (db: IDBPDatabase, tx: UpgradeTx, current: TableDef | undefined) => Promise<LogOp[]>

type AnyStore = IDBPObjectStore<unknown, string[], string, 'versionchange'>

/** Runs one schema change and waits until this tab has applied it. */
async function schemaChange(node: LocalNode, table: string, change: Change): Promise<void> {
  node.check()
  for (let attempt = 0; ; attempt++) {
    const cid = newId('s-')
    let lsn = 0
    try {
      node.localCids.add(cid)
      lsn = await node.conn.upgrade(async (db, tx) => {
        const last = await currentLsn(tx)
        if (last > node.applied) {
          const missed = await readLog(tx.objectStore(LOG), node.applied)
          node.applyEntries(missed, last, 'tab')
        }
        // The stores take every commit before the change (which may read or rebuild them); the
        // change writes the stores it touches itself, so they hold its entry too.
        await dumpLog(tx)
        const current = (await tx.objectStore(SCHEMA).get(table)) as TableDef | undefined
        const ops = await change(db, tx, current)
        const entry: LogEntry = { lsn: last + 1, cid, tab: node.tab, ops }
        fire(tx.objectStore(LOG).add([entry], entry.lsn))
        fire(tx.objectStore(META).put(entry.lsn, DUMPED))
        return entry.lsn
      })
    } catch (e) {
      node.localCids.delete(cid)
      if (e instanceof GapError && attempt < 3) {
        await node.reload()
        continue
      }
      throw e
    }
    try {
      await node.catchUp()
      await node.waitApplied(lsn)
    } finally {
      node.localCids.delete(cid)
    }
    node.announce(lsn)
    return
  }
}

function exists(table: string, current: TableDef | undefined): TableDef {
  if (!current) throw new NoSuchTableError(table)
  return current
}

function store(tx: UpgradeTx, def: TableDef): AnyStore {
  return tx.objectStore(storeName(def))
}

/** `createTable`. */
export async function createTable(node: LocalNode, name: string, opts: TableOptions): Promise<void> {
  const def = makeTableDef(name, opts, newId('ck-'))
  if (node.catalog.has(name)) throw new TableExistsError(name) // known here: no upgrade needed to say so
  await schemaChange(node, name, async (db, tx, current) => {
    if (current) throw new TableExistsError(name)
    const sn = storeName(def)
    if (db.objectStoreNames.contains(sn)) db.deleteObjectStore(sn)
    if (def.storage !== 'ram_copies') {
      const s = db.createObjectStore(sn)
      if (def.storage === 'disc_only_copies') for (const a of def.index) s.createIndex(a, a)
    }
    fire(tx.objectStore(SCHEMA).put(def, name))
    return Promise.resolve([{ k: 'schema', op: 'create', def }])
  })
}

/** `deleteTable`. */
export async function deleteTable(node: LocalNode, name: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (db, tx, current) => {
    const def = exists(name, current)
    if (db.objectStoreNames.contains(storeName(def))) db.deleteObjectStore(storeName(def))
    fire(tx.objectStore(SCHEMA).delete(name))
    return Promise.resolve([{ k: 'schema', op: 'delete', def }])
  })
}

/** Writes a changed definition. */
function update(tx: UpgradeTx, def: TableDef): LogOp[] {
  fire(tx.objectStore(SCHEMA).put(def, def.name))
  return [{ k: 'schema', op: 'update', def }]
}

/** `addTableIndex`. */
export async function addTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (_db, tx, current) => {
    const def = exists(name, current)
    checkIndexAttr(def, attr)
    if (def.index.includes(attr)) throw new TableExistsError(name, `${name}: index on ${attr} already exists`)
    if (def.storage === 'disc_only_copies') store(tx, def).createIndex(attr, attr)
    return Promise.resolve(update(tx, { ...def, index: [...def.index, attr], version: def.version + 1 }))
  })
}

/** `delTableIndex`. */
export async function delTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (_db, tx, current) => {
    const def = exists(name, current)
    if (!def.index.includes(attr)) throw new NoSuchTableError(name, `${name}: no index on ${safeString(attr)}`)
    if (def.storage === 'disc_only_copies') store(tx, def).deleteIndex(attr)
    return Promise.resolve(update(tx, { ...def, index: def.index.filter((a) => a !== attr), version: def.version + 1 }))
  })
}

/** `setMasterNodes` on this node's definition. */
export async function setMasterNodes(node: LocalNode, name: string, nodes: readonly string[]): Promise<void> {
  checkTableName(name)
  if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) throw new WebnesiaError('badarg', 'master nodes must be node ids')
  await schemaChange(node, name, async (_db, tx, current) => {
    const def = exists(name, current)
    return Promise.resolve(update(tx, { ...def, masterNodes: [...nodes], version: def.version + 1 }))
  })
}

/**
 * `transformTable`: every record goes through `fn` (its result is the new record, `undefined`
 * deletes it), optionally under new attributes. All or nothing: a throwing `fn` or an invalid new
 * record, or one whose key differs from the old record's (Mnesia keeps keys), aborts the change
 * before anything is written. Indexes on attributes that no longer exist are dropped.
 */
export async function transformTable(
  node: LocalNode,
  name: string,
  fn: (old: Record<string, unknown>) => Record<string, unknown> | undefined,
  newAttributes?: readonly string[],
): Promise<void> {
  checkTableName(name)
  if (typeof fn !== 'function') throw new WebnesiaError('badarg', 'transformTable: fn must be a function')
  if (newAttributes !== undefined) checkAttributes(name, newAttributes)
  await schemaChange(node, name, async (_db, tx, current) => {
    const def = exists(name, current)
    const attributes = newAttributes ? [...newAttributes] : [...def.attributes]
    const index = def.index.filter((a) => attributes.includes(a) && a !== attributes[0])
    const nd: TableDef = { ...def, attributes, index, version: def.version + 1 }
    // The old records: disc stores are read inside this transaction; a ram_copies table is read
    // from this tab's memory, which the catch-up above made current.
    const old: Rec[] = []
    const rt = node.catalog.tables.get(name)
    if (def.storage === 'ram_copies') {
      if (rt?.mem) for (const s of rt.mem.slots()) old.push(...s.recs)
    } else {
      groupRows(def, await store(tx, def).getAll(), (_k, recs) => old.push(...recs))
    }
    const bag = nd.type === 'bag'
    const next = new KeyMap<{ key: Key; recs: readonly Rec[] }>()
    for (const r of old) {
      let out: unknown
      try {
        out = fn(exportRecord(r))
      } catch (e) {
        throw new TransactionAbortedError(e)
      }
      if (out === undefined) continue
      const rec = importRecord(nd, out)
      const key = keyOf(nd, rec)
      // Mnesia keeps keys through a transform (OTP 25 aborts with "Bad key or Record Name").
      if (compareKeys(key, keyOf(def, r)) !== 0) {
        throw new BadRecordError(`transformTable ${name}: fn changed a record's key (${safeString(keyOf(def, r))} to ${safeString(key)}); keys are kept`)
      }
      const slot = next.get(key)
      next.set(key, { key, recs: applyIntent(slot?.recs ?? [], { w: rec }, bag) })
    }
    const ops: LogOp[] = [...update(tx, nd), { k: 'clear', t: name, quiet: true }]
    if (def.storage !== 'ram_copies') {
      const s = store(tx, def)
      if (def.storage === 'disc_only_copies') for (const a of def.index) if (!index.includes(a)) s.deleteIndex(a)
      fire(s.clear())
      for (const { key, recs } of next.values()) writeChange(s, nd, { key, old: [], recs })
    }
    for (const { key, recs } of next.values()) ops.push({ k: 'put', t: name, key, old: [], recs, i: [] })
    return ops
  })
}

/**
 * Creates a table from a definition made elsewhere (a peer's, with its cookie): replication's
 * way of adding a local copy. No-op when the table exists with the same cookie.
 */
export async function adoptTable(node: LocalNode, def: TableDef): Promise<void> {
  const checked = makeTableDef(def.name, def, def.cookie)
  const full: TableDef = { ...checked, masterNodes: [...def.masterNodes], version: def.version }
  await schemaChange(node, def.name, async (db, tx, current) => {
    if (current?.cookie === full.cookie) return []
    if (current) throw new TableExistsError(def.name)
    const sn = storeName(full)
    if (db.objectStoreNames.contains(sn)) db.deleteObjectStore(sn)
    if (full.storage !== 'ram_copies') {
      const s = db.createObjectStore(sn)
      if (full.storage === 'disc_only_copies') for (const a of full.index) s.createIndex(a, a)
    }
    fire(tx.objectStore(SCHEMA).put(full, full.name))
    return Promise.resolve([{ k: 'schema', op: 'create', def: full }])
  })
}

/**
 * Takes a peer's changes of a definition (indexes, master nodes, attributes, record name) into
 * the local one; the records follow through replication.
 */
export async function redefineTable(
  node: LocalNode,
  name: string,
  change: Pick<TableDef, 'attributes' | 'index' | 'recordName' | 'masterNodes'>,
): Promise<void> {
  await schemaChange(node, name, async (_db, tx, current) => {
    const def = exists(name, current)
    const nd: TableDef = {
      ...def,
      attributes: [...change.attributes],
      index: [...change.index],
      recordName: change.recordName,
      masterNodes: [...change.masterNodes],
      version: def.version + 1,
    }
    makeTableDef(name, nd, nd.cookie) // validates
    if (def.storage === 'disc_only_copies') {
      const s = store(tx, def)
      for (const a of def.index) if (!nd.index.includes(a)) s.deleteIndex(a)
      for (const a of nd.index) if (!def.index.includes(a)) s.createIndex(a, a)
    }
    return Promise.resolve(update(tx, nd))
  })
}

/**
 * Changes the storage type of this node's copy (Mnesia's change_table_copy_type): ram → disc
 * writes the records to a new object store, disc → ram drops the store, disc_only → a memory
 * type loads the records. The schema entry is followed by the table's records (no events), so
 * every tab rebuilds its copy from the log.
 */
export async function changeStorage(node: LocalNode, name: string, storage: TableDef['storage']): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (db, tx, current) => {
    const def = exists(name, current)
    if (def.storage === storage) return []
    const nd: TableDef = { ...def, storage, version: def.version + 1 }
    makeTableDef(name, nd, nd.cookie)
    const recs = new KeyMap<{ key: Key; recs: readonly Rec[] }>()
    if (def.storage === 'ram_copies') {
      const rt = node.catalog.tables.get(name)
      if (rt?.mem) for (const s of rt.mem.slots()) recs.set(s.key, { key: s.key, recs: s.recs })
    } else {
      groupRows(def, await store(tx, def).getAll(), (key, rs) => recs.set(key, { key, recs: rs }))
      db.deleteObjectStore(storeName(def))
    }
    if (storage !== 'ram_copies') {
      const s = db.createObjectStore(storeName(nd))
      if (storage === 'disc_only_copies') for (const a of nd.index) s.createIndex(a, a)
      for (const { key, recs: rs } of recs.values()) writeChange(s, nd, { key, old: [], recs: rs })
    }
    const ops: LogOp[] = [...update(tx, nd), { k: 'clear', t: name, quiet: true }]
    for (const { key, recs: rs } of recs.values()) ops.push({ k: 'put', t: name, key, old: [], recs: rs, i: [] })
    return ops
  })
}
