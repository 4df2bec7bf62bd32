/**
 * One generator per public entry point of the engine: each yields a call with malformed
 * arguments (keys, records, table definitions, options, patterns, match specifications, guards,
 * continuations, join options, …) that must be refused with a typed WebnesiaError.
 */
import fc from 'fast-check'
import type { Database, Transaction } from '../../src/index.js'
import { badCount, badKey, badTable, notFunction, notOneOf, unclonable } from './values.js'

/** The fixture's tables: [k, a, b] with an index on a (set / ordered_set / bag) and a counter [k, n]. */
export const TABLES = { s: 'disc_copies', o: 'ram_copies', g: 'disc_only_copies' } as const
export const COUNTER = 'c'

/** What the harness runs. `sync`: the method returns a value (or throws), never a promise. */
export interface Case {
  readonly ep: string
  readonly sync?: boolean
  /** `t.`-operations run inside an activity: the op's own error is checked too. */
  readonly op?: (t: Transaction) => unknown
  readonly call?: (db: Database, ctx: Ctx) => unknown
}

/** Things a case may need that only exist at run time. */
export interface Ctx {
  /** A continuation of a transaction that has finished. */
  readonly staleCont: unknown
  /** A continuation of the dirty context, forged from a real one's prototype and owner. */
  readonly forgedCont: () => unknown
  /** Names never used for a table (a createTable that wrongly succeeds is seen). */
  fresh(): string
}

const tab = fc.constantFrom('s', 'o', 'g')
const goodKey = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }))
const rowTab = fc.oneof(tab, badTable)

/** Records that are refused for a [k, a, b] table. */
export const badRecord: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 1, 'r', [], [1, 2], new Date(0), new Map(), () => ({}), Symbol('r')),
  unclonable,
  goodKey.map((k) => ({ k, zz: 1 })),
  fc.constant({ a: 1, b: 2 }),
  badKey.map((k) => ({ k, a: 1 })),
  fc.tuple(goodKey, unclonable).map(([k, v]) => ({ k, a: v })),
  fc.tuple(goodKey, unclonable).map(([k, v]) => ({ k, b: [1, { deep: v }] })),
  goodKey.map((k) =>
    Object.defineProperty({ k }, 'a', {
      enumerable: true,
      get() {
        throw new Error('hostile getter')
      },
    }),
  ),
)

/** Patterns that are refused for a [k, a, b] table. */
export const badPattern: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 1, 'p', [], ['_'], new Date(0), new Map(), () => ({}), { zz: 1 }, { a: '$_' }, { a: '$$' }, { k: ['$_'] }),
  unclonable,
  unclonable.map((v) => ({ a: v })),
  unclonable.map((v) => ({ b: ['$1', v] })),
)

const VALID_SPEC = (): unknown[] => [[{ k: '$1', a: '$2' }, [['>', '$2', 0]], ['$1']]]

/** Match specifications that are refused: a valid one with one breaking mutation. */
export const badSpec: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 1, 'spec', {}, { 0: VALID_SPEC()[0] }, [1], ['_'], [[]], [['_', []]], [['_', [], ['$_'], 1]]),
  unclonable,
  fc.oneof(badPattern, fc.constantFrom<unknown>(1, ['_'], [{ k: '$1' }])).map((h) => [[h, [], ['$_']]]),
  fc.constantFrom<unknown>(true, {}, 'g', null).map((g) => [['_', g, ['$_']]]),
  fc.constantFrom<unknown>(
    ['is_numbr', '$1'],
    ['not', ['frobnicate', 1]],
    ['<', '$1'],
    ['not', true, false],
    ['element', 1],
    ['>', '$9', 1],
    ['const', 1, 2],
    ['+', 1, 2, 3],
  ).map((g) => [[{ k: '$1' }, [g], ['$1']]]),
  fc.constantFrom<unknown>([], '$_', null, ['_'], ['$7'], [['$1', '$2']], [() => 1], [undefined], [['const', new Map()]]).map((b) => [[{ k: '$1' }, [], b]]),
  unclonable.map((v) => [[{ k: '$1' }, [['==', '$1', v]], ['$1']]]),
  unclonable.map((v) => [[{ k: '$1' }, [], [['$1', v]]]]),
  fc.constant(null).map(() => [...VALID_SPEC(), ['_', [['bogus']], ['$_']]]),
)

/** Table definitions that are refused. */
export const badDef: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 1, 'def', [], () => ({}), new Map()),
  unclonable,
  fc.constantFrom<unknown>(undefined, null, 'k', [], ['k'], ['k', 'k'], ['k', 1], ['k', ''], ['k', 'a b'], ['1k', 'a'], { 0: 'k', 1: 'a' }).map((attributes) => ({ attributes })),
  notOneOf(['set', 'ordered_set', 'bag']).filter((t) => t != null).map((type) => ({ attributes: ['k', 'a'], type })),
  notOneOf(['ram_copies', 'disc_copies', 'disc_only_copies']).filter((s) => s != null).map((storage) => ({ attributes: ['k', 'a'], storage })),
  // (null / undefined options are absent: the defaults apply)
  fc.constantFrom<unknown>('a', ['k'], ['zz'], ['a', 'a'], [1], [null], {}).map((index) => ({ attributes: ['k', 'a'], index })),
  fc.constantFrom<unknown>('', 1, {}).map((recordName) => ({ attributes: ['k', 'a'], recordName })),
  fc.constantFrom<unknown>('yes', 1, {}).map((localContent) => ({ attributes: ['k', 'a'], localContent })),
  fc.constant(null).map(() =>
    Object.defineProperty({}, 'attributes', {
      enumerable: true,
      get() {
        throw new Error('hostile getter')
      },
    }),
  ),
)

const KINDS = ['transaction', 'sync_transaction', 'async_dirty', 'sync_dirty', 'ets']
const INFO = ['size', 'attributes', 'type', 'storageType', 'index', 'recordName', 'arity', 'wildPattern', 'memory', 'localContent', 'whereToRead', 'ramCopies', 'discCopies', 'discOnlyCopies', 'masterNodes', 'all', 'primary', 'lastSync']
const SYSINFO = ['tables', 'localTables', 'runningNodes', 'dbNodes', 'isRunning', 'all']
const writes = (t: Transaction): Promise<void> => t.write('s', { k: 'accepted?', a: 1 })

/** `t.` operations with malformed arguments (run in a transaction or a dirty activity). */
const opCases: fc.Arbitrary<Case>[] = [
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 't.read', op: (t) => t.read(x as string, k as never) })),
  fc.tuple(tab, goodKey, notOneOf(['read', 'write']).filter((l) => l !== undefined)).map(([x, k, l]) => ({ ep: 't.read(lock)', op: (t) => t.read(x, k, l as never) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 't.wread', op: (t) => t.wread(x as string, k as never) })),
  fc.tuple(rowTab, badRecord).map(([x, r]) => ({ ep: 't.write', op: (t) => t.write(x as string, r as never) })),
  fc.tuple(tab, goodKey, notOneOf(['write', 'sticky_write']).filter((l) => l !== undefined)).map(([x, k, l]) => ({ ep: 't.write(lock)', op: (t) => t.write(x, { k, a: 1 }, l as never) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 't.delete', op: (t) => t.delete(x as string, k as never) })),
  fc.tuple(rowTab, badRecord).map(([x, r]) => ({ ep: 't.deleteObject', op: (t) => t.deleteObject(x as string, r as never) })),
  fc.tuple(rowTab, badPattern).map(([x, p]) => ({ ep: 't.matchObject', op: (t) => t.matchObject(x as string, p as never) })),
  fc.tuple(rowTab, badSpec).map(([x, s]) => ({ ep: 't.select', op: (t) => t.select(x as string, s) })),
  fc.tuple(tab, badCount).map(([x, n]) => ({ ep: 't.select(n)', op: (t) => t.select(x, VALID_SPEC(), n as number) })),
  fc.oneof(badCount, fc.constantFrom<unknown>({}, { results: [], cont: {} })).map((c) => ({ ep: 't.selectContinue', op: (t) => t.selectContinue(c as never) })),
  fc.tuple(rowTab, fc.oneof(notOneOf(['a']), fc.constantFrom('k', 'b'))).map(([x, a]) => ({ ep: 't.indexRead', op: (t) => t.indexRead(x as string, 1, a as string) })),
  fc.tuple(tab, unclonable).map(([x, v]) => ({ ep: 't.indexRead(value)', op: (t) => t.indexRead(x, v, 'a') })),
  fc.tuple(tab, fc.oneof(badPattern, fc.constant({ b: 1 }))).map(([x, p]) => ({ ep: 't.indexMatchObject', op: (t) => t.indexMatchObject(x, p as never, 'a') })),
  fc.tuple(rowTab, notFunction).map(([x, f]) => ({ ep: 't.foldl', op: (t) => t.foldl(f as never, 0, x as string) })),
  fc.tuple(rowTab, notFunction).map(([x, f]) => ({ ep: 't.foldr', op: (t) => t.foldr(f as never, 0, x as string) })),
  badTable.map((x) => ({ ep: 't.first', op: (t) => t.first(x as string) })),
  badTable.map((x) => ({ ep: 't.last', op: (t) => t.last(x as string) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 't.next', op: (t) => t.next(x as string, k as never) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 't.prev', op: (t) => t.prev(x as string, k as never) })),
  badTable.map((x) => ({ ep: 't.allKeys', op: (t) => t.allKeys(x as string) })),
  fc.tuple(fc.oneof(fc.constantFrom<unknown>(null, 1, 'x', {}, { table: 1 }, { record: 's' }, { record: ['s', Number.NaN] }, { nope: 1 }), badTable.map((x) => ({ table: x }))), fc.constantFrom<unknown>('read', 'write')).map(([i, k]) => ({
    ep: 't.lock',
    op: (t) => t.lock(i as never, k as never),
  })),
  notOneOf(['read', 'write']).map((k) => ({ ep: 't.lock(kind)', op: (t) => t.lock({ table: 's' }, k as never) })),
  badTable.map((x) => ({ ep: 't.readLockTable', op: (t) => t.readLockTable(x as string) })),
  badTable.map((x) => ({ ep: 't.writeLockTable', op: (t) => t.writeLockTable(x as string) })),
  fc.tuple(rowTab, notOneOf(INFO)).map(([x, i]) => ({ ep: 't.tableInfo', op: (t) => t.tableInfo(x as string, i as never) })),
  notFunction.map((f) => ({ ep: 't.transaction', op: (t) => t.transaction(f as never) })),
  notOneOf(KINDS).map((k) => ({ ep: 't.activity', op: (t) => t.activity(k as never, writes) })),
]

/** Database methods with malformed arguments. */
const dbCases: fc.Arbitrary<Case>[] = [
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 'dirtyRead', call: (db) => db.dirtyRead(x as string, k as never) })),
  fc.tuple(rowTab, badRecord).map(([x, r]) => ({ ep: 'dirtyWrite', call: (db) => db.dirtyWrite(x as string, r as never) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 'dirtyDelete', call: (db) => db.dirtyDelete(x as string, k as never) })),
  fc.tuple(rowTab, badRecord).map(([x, r]) => ({ ep: 'dirtyDeleteObject', call: (db) => db.dirtyDeleteObject(x as string, r as never) })),
  badTable.map((x) => ({ ep: 'dirtyFirst', call: (db) => db.dirtyFirst(x as string) })),
  badTable.map((x) => ({ ep: 'dirtyLast', call: (db) => db.dirtyLast(x as string) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 'dirtyNext', call: (db) => db.dirtyNext(x as string, k as never) })),
  fc.tuple(rowTab, badKey).map(([x, k]) => ({ ep: 'dirtyPrev', call: (db) => db.dirtyPrev(x as string, k as never) })),
  badTable.map((x) => ({ ep: 'dirtyAllKeys', call: (db) => db.dirtyAllKeys(x as string) })),
  fc.tuple(rowTab, fc.oneof(badCount.filter((n) => n !== Infinity), fc.constant(Infinity))).map(([x, n]) => ({ ep: 'dirtySlot', call: (db) => db.dirtySlot(x as string, n as number) })),
  fc.tuple(rowTab, badPattern).map(([x, p]) => ({ ep: 'dirtyMatchObject', call: (db) => db.dirtyMatchObject(x as string, p as never) })),
  fc.tuple(rowTab, badSpec).map(([x, s]) => ({ ep: 'dirtySelect', call: (db) => db.dirtySelect(x as string, s) })),
  fc.tuple(tab, badCount).map(([x, n]) => ({ ep: 'dirtySelect(n)', call: (db) => db.dirtySelect(x, VALID_SPEC(), n as number) })),
  fc.oneof(badCount, fc.constantFrom<unknown>({}, { results: [], cont: {} }, 'stale', 'forged')).map((c) => ({
    ep: 'selectContinue',
    call: (db, ctx) => db.selectContinue((c === 'stale' ? ctx.staleCont : c === 'forged' ? ctx.forgedCont() : c) as never),
  })),
  fc.tuple(rowTab, fc.oneof(notOneOf(['a']), fc.constantFrom('k', 'b'))).map(([x, a]) => ({ ep: 'dirtyIndexRead', call: (db) => db.dirtyIndexRead(x as string, 1, a as string) })),
  fc.tuple(tab, unclonable).map(([x, v]) => ({ ep: 'dirtyIndexRead(value)', call: (db) => db.dirtyIndexRead(x, v, 'a') })),
  fc.tuple(tab, fc.oneof(badPattern, fc.constant({ b: 1 })), fc.constantFrom<unknown>('a', 'b', 'k', 1)).map(([x, p, a]) => ({
    ep: 'dirtyIndexMatchObject',
    call: (db) => db.dirtyIndexMatchObject(x, (a === 'a' ? p : { a: 1 }) as never, a as string),
  })),
  fc.oneof(
    fc.tuple(fc.constant(COUNTER), goodKey, fc.oneof(badCount.filter((n) => n !== -1), fc.constantFrom<unknown>(2 ** 53, 1.5, '1'))),
    fc.tuple(fc.constant(COUNTER), badKey, fc.constant(1)),
    fc.tuple(fc.oneof(badTable, tab), goodKey, fc.constant(1)),
  ).map(([x, k, n]) => ({ ep: 'dirtyUpdateCounter', call: (db) => db.dirtyUpdateCounter(x as string, k as never, n as number) })),
  fc.oneof(
    fc.tuple(fc.oneof(badTable.filter((x) => typeof x !== 'string' || !x.startsWith('nope_')), fc.constantFrom('s', 'o', 'g', 'c')), fc.constant({ attributes: ['k', 'a'] })),
    fc.tuple(fc.constant(null), badDef),
  ).map(([n, d]) => ({ ep: 'createTable', call: (db, ctx) => db.createTable((n === null ? ctx.fresh() : n) as string, d as never) })),
  badTable.map((x) => ({ ep: 'deleteTable', call: (db) => db.deleteTable(x as string) })),
  badTable.map((x) => ({ ep: 'clearTable', call: (db) => db.clearTable(x as string) })),
  fc.tuple(rowTab, fc.oneof(notOneOf(['b']), fc.constantFrom('a', 'k'))).map(([x, a]) => ({ ep: 'addTableIndex', call: (db) => db.addTableIndex(x as string, a as string) })),
  fc.tuple(rowTab, fc.oneof(notOneOf(['a']), fc.constantFrom('b', 'k'))).map(([x, a]) => ({ ep: 'delTableIndex', call: (db) => db.delTableIndex(x as string, a as string) })),
  fc.oneof(
    fc.tuple(rowTab, notFunction, fc.constant(undefined)),
    fc.tuple(tab, fc.oneof(badRecord, fc.constant('change-key'), fc.constant('throw')), fc.constant(undefined)),
    fc.tuple(tab, fc.constant('same'), fc.constantFrom<unknown>(null, 'k', ['k'], ['k', 'k'], ['k', 1], [], {})),
  ).map(([x, f, attrs]) => ({
    ep: 'transformTable',
    call: (db) =>
      db.transformTable(
        x as string,
        (typeof f === 'string' && ['change-key', 'throw', 'same'].includes(f)
          ? (r: Record<string, unknown>) => {
              if (f === 'throw') throw new Error('user fn')
              return f === 'same' ? r : { ...r, k: `${String(r['k'])}!` }
            }
          : typeof f === 'function' || f === null || typeof f !== 'object'
            ? f
            : () => f) as never,
        attrs as never,
      ),
  })),
  fc.tuple(fc.oneof(badTable, tab), fc.oneof(fc.constantFrom<unknown>(null, 'n', 1, {}, [1], [''], [null], [{}]), fc.constant(['ok']))).map(([x, n]) => ({
    ep: 'setMasterNodes',
    // a good node list only with a bad table
    call: (db) => db.setMasterNodes((Array.isArray(n) && n[0] === 'ok' ? 'nope' : x) as string, n as never),
  })),
  fc.tuple(rowTab, notOneOf(INFO)).map(([x, i]) => ({ ep: 'tableInfo', sync: true, call: (db) => db.tableInfo(x as string, i as never) })),
  fc.tuple(badTable, fc.constantFrom(...INFO)).map(([x, i]) => ({ ep: 'tableInfo(table)', sync: true, call: (db) => db.tableInfo(x as string, i as never) })),
  notOneOf(SYSINFO).map((i) => ({ ep: 'systemInfo', sync: true, call: (db) => db.systemInfo(i as never) })),
  fc.oneof(
    fc.tuple(fc.constantFrom<unknown>(null, 's', 1, {}, Symbol('w')), fc.constant(10)),
    fc.tuple(fc.constant(['s']), fc.constantFrom<unknown>(Number.NaN, 'x', -1, null, {}, 1n)),
    fc.tuple(fc.constant(['nope', 's']), fc.constantFrom<unknown>(5, 0)),
  ).map(([ts, ms]) => ({ ep: 'waitForTables', call: (db) => db.waitForTables(ts as never, ms as number) })),
  fc.oneof(
    notFunction.map((f) => [f, undefined] as const),
    fc.constantFrom<unknown>(null, 5, 'x', { retries: -1 }, { retries: 'x' }, { retries: Number.NaN }, { retries: 1.5 }).map((o) => [writes, o] as const),
  ).map(([f, o]) => ({ ep: 'transaction', call: (db) => db.transaction(f as never, o as never) })),
  fc.oneof(notOneOf(KINDS).map((k) => [k, writes] as const), fc.tuple(fc.constantFrom(...KINDS), notFunction)).map(([k, f]) => ({ ep: 'activity', call: (db) => db.activity(k as never, f as never) })),
  notFunction.map((f) => ({ ep: 'asyncDirty', call: (db) => db.asyncDirty(f as never) })),
  notFunction.map((f) => ({ ep: 'syncDirty', call: (db) => db.syncDirty(f as never) })),
  fc.oneof(notFunction, fc.constant('disc')).map((f) => ({ ep: 'ets', call: (db) => db.ets((f === 'disc' ? (t: Transaction) => t.write('s', { k: 'ets?', a: 1 }) : f) as never) })),
  fc.oneof(
    fc.tuple(fc.constantFrom<unknown>(null, 1, 'sys', {}, { table: 1 }, { table: 'nope' }, { table: 's', detail: 'x' }, Symbol('s')), fc.constant(() => undefined)),
    fc.tuple(fc.constantFrom<unknown>('system', { table: 's' }), notFunction),
  ).map(([s, f]) => ({ ep: 'subscribe', sync: true, call: (db) => db.subscribe(s as never, f as never) })),
  fc.oneof(
    fc.constantFrom<unknown>(null, 1, 'room', [], {}, { room: '' }, { room: 1 }, { room: 'r' }, { room: 'r', signaling: [] }, { room: 'r', signaling: 'ws://127.0.0.1:1' }),
    fc.constantFrom<unknown>([1], [null], [''], ['not a url'], ['http://127.0.0.1:1'], [{}]).map((signaling) => ({ room: 'r', signaling })),
    fc
      .constantFrom<[string, unknown]>(['password', 1], ['peerOpts', 'x'], ['maxConns', -1], ['copyType', 'bogus'], ['resyncMs', Number.NaN], ['ackTimeoutMs', -5], ['leaseMs', 'x'], ['faults', 1], ['transport', 'x'])
      .map(([k, v]) => ({ room: 'r', signaling: ['ws://127.0.0.1:1'], transport: () => () => undefined, [k]: v })),
  ).map((o) => ({ ep: 'join', call: (db) => db.join(o as never) })),
  fc.tuple(fc.oneof(badTable, tab), fc.constantFrom<unknown>(null, '', 1, 'other-node'), fc.constantFrom<unknown>('disc_copies', 'bogus', 1)).map(([x, n, s]) => ({
    ep: 'addTableCopy',
    call: (db) => db.addTableCopy(x as string, n as string, s as never),
  })),
  fc.tuple(fc.oneof(badTable, tab), fc.constantFrom<unknown>(null, '', 1, 'other-node')).map(([x, n]) => ({ ep: 'delTableCopy', call: (db) => db.delTableCopy(x as string, n as string) })),
  fc.tuple(fc.oneof(badTable, tab), fc.constantFrom<unknown>(null, '', 'other-node', 'self'), fc.constantFrom<unknown>('bogus', 1, null)).map(([x, n, s]) => ({
    ep: 'changeTableCopyType',
    call: (db) => db.changeTableCopyType(x as string, (n === 'self' ? db.node : n) as string, s as never),
  })),
]

/** One malformed call to any entry point. */
export const anyCase: fc.Arbitrary<Case> = fc.oneof(...dbCases, ...opCases)

/** Every entry point name the generators cover. */
export const ENTRY_POINTS = 'see cases.ts'
