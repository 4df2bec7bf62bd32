/**
 * Table definitions: the rows of the schema table, and the one place they are validated.
 *
 * A definition is stored as it is in the `schema` object store (see `log/connection.ts`) and
 * travels in schema log entries to the other tabs of the node.
 *
 * @module
 */
import { WebnesiaError, safeString } from '../errors.js'

/** `set`: one record per key; `ordered_set`: the same, iterated in term order; `bag`: many records per key. */
export type TableType = 'set' | 'ordered_set' | 'bag'
/** Where a table's records live on this node. */
export type StorageType = 'ram_copies' | 'disc_copies' | 'disc_only_copies'

/** Options of `db.createTable`. */
export interface TableOptions {
  /** Attribute names; the first one is the key. At least two. */
  attributes: readonly string[]
  /** Default `'set'`. */
  type?: TableType
  /** Default `'disc_copies'`. */
  storage?: StorageType
  /** Attributes with a secondary index. Default `[]`. */
  index?: readonly string[]
  /** Default: the table name. */
  recordName?: string
  /** `true`: the table is never replicated to other nodes. Default `false`. */
  localContent?: boolean
}

/** A table definition as kept in the schema. */
export interface TableDef {
  /** The table's name. */
  readonly name: string
  /** Its attributes in order; the first is the key. */
  readonly attributes: readonly string[]
  /** `set`, `ordered_set` or `bag`. */
  readonly type: TableType
  /** This node's copy: `ram_copies`, `disc_copies` or `disc_only_copies`. */
  readonly storage: StorageType
  /** The attributes with a secondary index. */
  readonly index: readonly string[]
  /** The record name (Mnesia's `record_name`; default the table's name). */
  readonly recordName: string
  /** `true`: never replicated to other nodes. */
  readonly localContent: boolean
  /** Unique per creation of the table (Mnesia's cookie). */
  readonly cookie: string
  /** Bumped on every change of the definition. */
  readonly version: number
  /** Node ids whose copy wins after a partition. */
  readonly masterNodes: readonly string[]
}

const TYPES: readonly TableType[] = ['set', 'ordered_set', 'bag']
const STORAGES: readonly StorageType[] = ['ram_copies', 'disc_copies', 'disc_only_copies']
const ATTR_RE = /^[A-Za-z_$][\w$]*$/

function bad(message: string): WebnesiaError {
  return new WebnesiaError('bad_type', message)
}

/** Validates a table name. */
export function checkTableName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw bad(`bad table name: ${safeString(name)}`)
  }
}

/** Validates `createTable` options and returns the definition. Throws `bad_type`. */
export function makeTableDef(name: string, opts: TableOptions, cookie: string): TableDef {
  try {
    return checkedTableDef(name, opts, cookie)
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    // Options whose getters (or Proxy traps) throw.
    throw bad(`${safeString(name)}: table options could not be read: ${e instanceof Error ? e.message : safeString(e)}`)
  }
}

function checkedTableDef(name: string, opts: TableOptions, cookie: string): TableDef {
  checkTableName(name)
  if (typeof opts !== 'object' || opts === null) throw bad('table options must be an object')
  const attributes = opts.attributes
  if (!Array.isArray(attributes) || attributes.length < 2) throw bad(`${name}: at least 2 attributes are needed`)
  for (const a of attributes) {
    if (typeof a !== 'string' || !ATTR_RE.test(a)) throw bad(`${name}: bad attribute name ${safeString(a)}`)
  }
  if (new Set(attributes).size !== attributes.length) throw bad(`${name}: duplicate attributes`)
  const type = opts.type ?? 'set'
  if (!TYPES.includes(type)) throw bad(`${name}: unknown table type ${safeString(type)}`)
  const storage = opts.storage ?? 'disc_copies'
  if (!STORAGES.includes(storage)) throw bad(`${name}: unknown storage type ${safeString(storage)}`)
  const index = opts.index ?? []
  if (!Array.isArray(index)) throw bad(`${name}: index must be an array of attribute names`)
  for (const i of index) checkIndexAttr({ name, attributes }, i)
  if (new Set(index).size !== index.length) throw bad(`${name}: duplicate index`)
  const recordName = opts.recordName ?? name
  if (typeof recordName !== 'string' || recordName.length === 0) throw bad(`${name}: bad recordName`)
  const localContent = opts.localContent ?? false
  if (typeof localContent !== 'boolean') throw bad(`${name}: localContent must be a boolean`)
  return {
    name,
    attributes: [...(attributes as readonly string[])],
    type,
    storage,
    index: [...(index as readonly string[])],
    recordName,
    localContent,
    cookie,
    version: 1,
    masterNodes: [],
  }
}

/** Validates that `attr` can carry a secondary index of the table (not the key, a known attribute). */
export function checkIndexAttr(def: Pick<TableDef, 'name' | 'attributes'>, attr: unknown): asserts attr is string {
  if (typeof attr !== 'string' || !def.attributes.includes(attr)) {
    throw bad(`${def.name}: no attribute ${safeString(attr)} to index`)
  }
  if (attr === def.attributes[0]) throw bad(`${def.name}: the key ${attr} cannot carry a secondary index`)
}

/** Validates new attributes for `transformTable`. */
export function checkAttributes(name: string, attributes: unknown): asserts attributes is readonly string[] {
  makeTableDef(name, { attributes: attributes as string[] }, 'check')
}

/** The IndexedDB object store holding a table. */
export function storeName(def: Pick<TableDef, 'name'>): string {
  return `t:${def.name}`
}

/** True when the table has an object store (disc_copies or disc_only_copies). */
export function onDisc(def: Pick<TableDef, 'storage'>): boolean {
  return def.storage !== 'ram_copies'
}

/** True when the table keeps its records in memory (ram_copies or disc_copies). */
export function inMemory(def: Pick<TableDef, 'storage'>): boolean {
  return def.storage !== 'disc_only_copies'
}
