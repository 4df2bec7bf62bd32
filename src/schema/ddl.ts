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
import type { Store, UpgradeTx } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { BadRecordError, mapStorageError, NoSuchTableError, TableExistsError, TransactionAbortedError, WebnesiaError, safeString } from '../errors.js'
import { LOG, META, SCHEMA } from '../log/connection.js'
import { DUMPED, dumpLog } from '../log/dumper.js'
import { newId, readLog, type LogEntry, type LogOp } from '../log/entry.js'
import { currentLsn, GapError, type LocalNode } from '../node.js'
import { imageSlots, writeSnapshot } from '../storage/disc-image.js'
import { groupRows, writeChange } from '../storage/idb-table.js'
import { loadBTree } from '../storage/btree.js'
import { applyIntent, exportRecord, importRecord, keyOf, type Rec } from '../storage/record.js'
import { compareKeys, KeyMap, type Key } from '../storage/term.js'
import { checkAttributes, checkIndexAttr, checkTableName, makeTableDef, storeName, type TableDef, type TableOptions } from './table-def.js'

/** What a schema change does inside the version-change transaction; returns the entry's ops. */
type Change = (tx: UpgradeTx, current: TableDef | undefined) => Promise<LogOp[]>

/** Runs one schema change and waits until this tab has applied it. */
async function schemaChange(node: LocalNode, table: string, change: Change): Promise<void> {
  node.check()
  for (let attempt = 0; ; attempt++) {
    // The commit id is registered before the upgrade: a catch-up reading the entry from the log
    // first reports it as local.
    let entry = node.writer.entry(0, [], undefined, 's-')
    try {
      entry = await node.backend.upgrade(async (tx) => {
        const last = await currentLsn(tx)
        if (last > node.applied) {
          const missed = await readLog(tx.store(LOG), node.applied)
          node.applyEntries(missed, last, 'tab')
        }
        // The stores take every commit before the change (which may read or rebuild them); the
        // change writes the stores it touches itself, so they hold its entry too.
        await dumpLog(tx)
        const current = (await tx.store(SCHEMA).get(table)) as TableDef | undefined
        const ops = await change(tx, current)
        const e: LogEntry = { ...entry, lsn: last + 1, ops }
        // The version change excludes every other transaction: the append cannot collide, and
        // its outcome is the upgrade's.
        node.writer.append(tx.store(LOG), [e])
        fire(tx.store(META).put(e.lsn, DUMPED))
        return e
      })
    } catch (e) {
      node.writer.abandon([entry])
      if (e instanceof GapError && attempt < 3) {
        await node.reload()
        continue
      }
      throw e instanceof DOMException ? mapStorageError(e) : e
    }
    try {
      // The upgrade applied every entry before this one (or a reload, since, loaded past it).
      if (node.applied < entry.lsn - 1) await node.catchUp()
      node.writer.publish([entry]) // skipped when a catch-up read it from the log first
    } finally {
      node.writer.abandon([entry])
    }
    return
  }
}

function exists(table: string, current: TableDef | undefined): TableDef {
  if (!current) throw new NoSuchTableError(table)
  return current
}

function store(tx: UpgradeTx, def: TableDef): Store {
  return tx.store(storeName(def))
}

/** Every key's records of a disc table's store (a disc_copies image, or one row per record). */
async function readTable(tx: UpgradeTx, def: TableDef): Promise<{ key: Key; recs: readonly Rec[] }[]> {
  if (def.storage === 'disc_copies') return imageSlots(store(tx, def), def)
  const out: { key: Key; recs: readonly Rec[] }[] = []
  groupRows(def, await store(tx, def).getAll(), (key, recs) => out.push({ key, recs }))
  return out
}

/** Replaces a disc table's store contents with these keys' records. */
function writeTable(s: Store, def: TableDef, slots: Iterable<{ key: Key; recs: readonly Rec[] }>): void {
  if (def.storage === 'disc_copies') {
    writeSnapshot(s, slots)
    return
  }
  fire(s.clear())
  for (const { key, recs } of slots) writeChange(s, def, { key, old: [], recs })
}

/** `createTable`. */
export async function createTable(node: LocalNode, name: string, opts: TableOptions): Promise<void> {
  const def = makeTableDef(name, opts, newId('ck-'))
  if (node.catalog.has(name)) throw new TableExistsError(name) // known here: no upgrade needed to say so
  // An ordered_set's memory copy is a B+ tree from the start (storage/key-store.ts): load it first.
  if (def.type === 'ordered_set' && def.storage !== 'disc_only_copies') await loadBTree()
  await schemaChange(node, name, async (tx, current) => {
    if (current) throw new TableExistsError(name)
    const sn = storeName(def)
    if (tx.hasStore(sn)) tx.deleteStore(sn)
    if (def.storage !== 'ram_copies') {
      tx.createStore(sn)
      if (def.storage === 'disc_only_copies') for (const a of def.index) tx.createIndex(sn, a)
    }
    fire(tx.store(SCHEMA).put(def, name))
    return Promise.resolve([{ k: 'schema', op: 'create', def }])
  })
}

/** `deleteTable`. */
export async function deleteTable(node: LocalNode, name: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (tx, current) => {
    const def = exists(name, current)
    if (tx.hasStore(storeName(def))) tx.deleteStore(storeName(def))
    fire(tx.store(SCHEMA).delete(name))
    return Promise.resolve([{ k: 'schema', op: 'delete', def }])
  })
}

/** Writes a changed definition. */
function update(tx: UpgradeTx, def: TableDef): LogOp[] {
  fire(tx.store(SCHEMA).put(def, def.name))
  return [{ k: 'schema', op: 'update', def }]
}

/** `addTableIndex`. */
export async function addTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (tx, current) => {
    const def = exists(name, current)
    checkIndexAttr(def, attr)
    if (def.index.includes(attr)) throw new TableExistsError(name, `${name}: index on ${attr} already exists`)
    if (def.storage === 'disc_only_copies') tx.createIndex(storeName(def), attr)
    return Promise.resolve(update(tx, { ...def, index: [...def.index, attr], version: def.version + 1 }))
  })
}

/** `delTableIndex`. */
export async function delTableIndex(node: LocalNode, name: string, attr: string): Promise<void> {
  checkTableName(name)
  await schemaChange(node, name, async (tx, current) => {
    const def = exists(name, current)
    if (!def.index.includes(attr)) throw new NoSuchTableError(name, `${name}: no index on ${safeString(attr)}`)
    if (def.storage === 'disc_only_copies') tx.deleteIndex(storeName(def), attr)
    return Promise.resolve(update(tx, { ...def, index: def.index.filter((a) => a !== attr), version: def.version + 1 }))
  })
}

/** `setMasterNodes` on this node's definition. */
export async function setMasterNodes(node: LocalNode, name: string, nodes: readonly string[]): Promise<void> {
  checkTableName(name)
  if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) throw new WebnesiaError('badarg', 'master nodes must be node ids')
  await schemaChange(node, name, async (tx, current) => {
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
  await schemaChange(node, name, async (tx, current) => {
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
      for (const s of await readTable(tx, def)) old.push(...s.recs)
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
      if (def.storage === 'disc_only_copies') for (const a of def.index) if (!index.includes(a)) tx.deleteIndex(storeName(def), a)
      writeTable(s, nd, next.values())
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
  await schemaChange(node, def.name, async (tx, current) => {
    if (current?.cookie === full.cookie) return []
    if (current) throw new TableExistsError(def.name)
    const sn = storeName(full)
    if (tx.hasStore(sn)) tx.deleteStore(sn)
    if (full.storage !== 'ram_copies') {
      tx.createStore(sn)
      if (full.storage === 'disc_only_copies') for (const a of full.index) tx.createIndex(sn, a)
    }
    fire(tx.store(SCHEMA).put(full, full.name))
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
  await schemaChange(node, name, async (tx, current) => {
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
      for (const a of def.index) if (!nd.index.includes(a)) tx.deleteIndex(storeName(def), a)
      for (const a of nd.index) if (!def.index.includes(a)) tx.createIndex(storeName(def), a)
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
  await schemaChange(node, name, async (tx, current) => {
    const def = exists(name, current)
    if (def.storage === storage) return []
    const nd: TableDef = { ...def, storage, version: def.version + 1 }
    makeTableDef(name, nd, nd.cookie)
    const recs = new KeyMap<{ key: Key; recs: readonly Rec[] }>()
    if (def.storage === 'ram_copies') {
      const rt = node.catalog.tables.get(name)
      if (rt?.mem) for (const s of rt.mem.slots()) recs.set(s.key, { key: s.key, recs: s.recs })
    } else {
      for (const slot of await readTable(tx, def)) recs.set(slot.key, slot)
      tx.deleteStore(storeName(def))
    }
    if (storage !== 'ram_copies') {
      tx.createStore(storeName(nd))
      if (storage === 'disc_only_copies') for (const a of nd.index) tx.createIndex(storeName(nd), a)
      writeTable(store(tx, nd), nd, recs.values())
    }
    const ops: LogOp[] = [...update(tx, nd), { k: 'clear', t: name, quiet: true }]
    for (const { key, recs: rs } of recs.values()) ops.push({ k: 'put', t: name, key, old: [], recs: rs, i: [] })
    return ops
  })
}
