/**
 * `tableInfo` and `systemInfo` (Mnesia's table_info/2 and system_info/1) for one node.
 *
 * @module
 */
import { WebnesiaError, safeString } from '../errors.js'
import type { LocalNode } from '../node.js'
import { canonical, type Key } from '../storage/term.js'
import type { TableRuntime } from './catalog.js'

/** Items of `tableInfo`. */
export type TableInfoItem =
  | 'size'
  | 'attributes'
  | 'type'
  | 'storageType'
  | 'index'
  | 'recordName'
  | 'arity'
  | 'wildPattern'
  | 'memory'
  | 'localContent'
  | 'whereToRead'
  | 'ramCopies'
  | 'discCopies'
  | 'discOnlyCopies'
  | 'masterNodes'
  | 'cookie'
  | 'version'
  | 'all'

/** Items of `systemInfo`. */
export type SystemInfoItem = 'tables' | 'runningNodes' | 'dbNodes' | 'isRunning' | 'localTables' | 'all'

const TABLE_ITEMS: readonly Exclude<TableInfoItem, 'all'>[] = [
  'size',
  'attributes',
  'type',
  'storageType',
  'index',
  'recordName',
  'arity',
  'wildPattern',
  'memory',
  'localContent',
  'whereToRead',
  'ramCopies',
  'discCopies',
  'discOnlyCopies',
  'masterNodes',
  'cookie',
  'version',
]

/** Approximate bytes of memory a table copy holds (0 for disc_only_copies: nothing in memory). */
function memoryOf(rt: TableRuntime): number {
  if (!rt.mem) return 0
  let bytes = 0
  for (const s of rt.mem.slots()) for (const r of s.recs) bytes += 2 * canonical(r).length + 64
  return bytes
}

/** One item of a table's information. */
export function tableInfo(node: LocalNode, rt: TableRuntime, item: TableInfoItem): unknown {
  const def = rt.def
  const cluster = node.hooks.service('copiesOf')?.(def.name)
  const copies = (storage: string): string[] => {
    const out = new Set<string>()
    if (def.storage === storage) out.add(node.nodeId)
    if (cluster && !def.localContent) for (const [n, s] of cluster) if (s === storage) out.add(n)
    return [...out].sort()
  }
  switch (item) {
    case 'size':
      return rt.size
    case 'attributes':
      return [...def.attributes]
    case 'type':
      return def.type
    case 'storageType':
      return def.storage
    case 'index':
      return [...def.index]
    case 'recordName':
      return def.recordName
    case 'arity':
      return def.attributes.length + 1
    case 'wildPattern':
      return Object.fromEntries(def.attributes.map((a) => [a, '_']))
    case 'memory':
      return memoryOf(rt)
    case 'localContent':
      return def.localContent
    case 'whereToRead':
      return node.nodeId
    case 'ramCopies':
      return copies('ram_copies')
    case 'discCopies':
      return copies('disc_copies')
    case 'discOnlyCopies':
      return copies('disc_only_copies')
    case 'masterNodes':
      return [...def.masterNodes]
    case 'cookie':
      return def.cookie
    case 'version':
      return def.version
    case 'all':
      return Object.fromEntries(TABLE_ITEMS.map((i) => [i, tableInfo(node, rt, i)]))
    default:
      throw new WebnesiaError('badarg', `unknown tableInfo item ${safeString(item)}`)
  }
}

/** One item of the node's information. */
export function systemInfo(node: LocalNode, item: SystemInfoItem): unknown {
  switch (item) {
    case 'tables':
      return [...node.catalog.tables.keys()].sort()
    case 'localTables':
      return [...node.catalog.tables.keys()].sort()
    case 'runningNodes':
      return [node.nodeId, ...(node.hooks.service('peers')?.() ?? [])].sort()
    case 'dbNodes':
      return [node.nodeId, ...(node.hooks.service('peers')?.() ?? [])].sort()
    case 'isRunning':
      return node.closed ? 'no' : 'yes'
    case 'all':
      return {
        tables: systemInfo(node, 'tables'),
        localTables: systemInfo(node, 'localTables'),
        runningNodes: systemInfo(node, 'runningNodes'),
        dbNodes: systemInfo(node, 'dbNodes'),
        isRunning: systemInfo(node, 'isRunning'),
      }
    default:
      throw new WebnesiaError('badarg', `unknown systemInfo item ${safeString(item)}`)
  }
}

/** A key safe to hand out (Dates and binaries are mutable: copied). */
export function exportKey(k: Key): Key {
  return typeof k === 'object' ? (structuredClone(k)) : k
}
