/**
 * Typed tables (API.md, "Typed tables"): a schema type, like idb's `DBSchema`, that flows from
 * `openDatabase<S>()` to every table name, key, record, pattern, index attribute, fold, event and
 * `tableInfo` item. Types only: nothing here exists at run time, and the database behind a typed
 * handle is the same untyped {@link Database} object.
 *
 * ```ts
 * type Shop = {
 *   stock: TableSchema<{ sku: string; count: number }, 'sku'>
 *   order: TableSchema<{ id: [number, string]; sku: string; qty: number }, 'id', 'sku'>
 * }
 * ```
 *
 * @module
 */
import type { StorageType, TableType } from '../schema/table-def.js'
import type { Key } from '../storage/term.js'
import type { Origin } from '../events/subscriptions.js'

/** The attributes of `R` whose values are valid keys. */
export type KeyAttributes<R> = { [A in keyof R & string]-?: Exclude<R[A], undefined> extends Key ? A : never }[keyof R & string]

/**
 * One table of a schema type: its record type `R`, its key attribute `K` (the first of the
 * table's attributes) and, optionally, the attributes `I` that may carry a secondary index (by
 * default every other attribute; `indexRead` accepts only these).
 *
 * @example
 * type Shop = { stock: TableSchema<{ sku: string; count: number }, 'sku'> }
 * const db = await openDatabase<Shop>({ name: 'shop' })
 */
export interface TableSchema<R extends object, K extends KeyAttributes<R>, I extends Exclude<keyof R & string, K> = Exclude<keyof R & string, K>> {
  /** The record type (a phantom: never present at run time). */
  readonly record: R
  /** The key attribute. */
  readonly key: K
  /** The attributes that may be indexed. */
  readonly index: I
}

/** What every table of a schema type looks like (the constraint of `openDatabase<S>`). */
export interface AnyTableSchema {
  /** The record type. */
  readonly record: object
  /** The key attribute's name. */
  readonly key: string
  /** The indexed attributes' names (a union; `never` for none). */
  readonly index: string
}

/** A schema type: table name → {@link TableSchema}. Interfaces and type aliases both fit. */
export type DatabaseSchema<S> = { [T in keyof S]: AnyTableSchema }

/** The table names of a schema. */
export type TableName<S> = keyof S & string
/** The record type of table `T`. */
export type RecordOf<S, T extends TableName<S>> = S[T] extends { readonly record: infer R } ? R : never
/** The key attribute of table `T`. */
export type KeyAttributeOf<S, T extends TableName<S>> = S[T] extends { readonly key: infer K extends string } ? K : never
/** The key type of table `T`. */
export type KeyOf<S, T extends TableName<S>> = RecordOf<S, T>[KeyAttributeOf<S, T> & keyof RecordOf<S, T>]
/** The attributes of table `T` that may carry an index. */
export type IndexAttributeOf<S, T extends TableName<S>> = S[T] extends { readonly index: infer I extends string } ? I : never

/** A pattern variable: `'$1'`, `'$2'`, … */
export type PatternVariable = `$${number}`

/** What a pattern may hold where the record holds a `V`: the value, `'_'`, a variable, or a nested pattern. */
export type PatternValue<V> =
  | V
  | '_'
  | PatternVariable
  | (V extends Date | ArrayBuffer | ArrayBufferView
      ? never
      : V extends readonly unknown[]
        ? { -readonly [I in keyof V]: PatternValue<V[I]> }
        : V extends object
          ? { [P in keyof V]?: PatternValue<V[P]> }
          : never)

/** A pattern over records `R` (API.md, "Patterns"): some of its attributes, each a {@link PatternValue}. */
export type Pattern<R> = { [A in keyof R]?: PatternValue<R[A]> }

/** A guard expression: a prefix array (`['>', '$1', 3]`) or a constant. */
export type Guard = readonly unknown[] | boolean

/** One clause of a match specification: `[head, guards, body]`. */
export type MatchClause<R> = readonly [head: Pattern<R> | '_', guards: readonly Guard[], body: readonly unknown[]]

/** A match specification over records `R`. */
export type MatchSpec<R> = readonly MatchClause<R>[]

type OrUnknown<V> = [V] extends [never] ? unknown : V

/** The type of variable `X` in head `H`: the record's attribute it binds directly, else unknown. */
type VariableType<R, H, X> = OrUnknown<{ [A in keyof H & keyof R]: H[A] extends X ? R[A] : never }[keyof H & keyof R]>

/** The value of body expression `X` under head `H`. */
export type BodyValue<R, H, X> = X extends '$_'
  ? R
  : X extends '$$'
    ? unknown[]
    : X extends PatternVariable
      ? VariableType<R, H, X>
      : X extends readonly unknown[]
        ? { -readonly [I in keyof X]: BodyValue<R, H, X[I]> }
        : X extends string | number | boolean | null
          ? X
          : X extends object
            ? { -readonly [P in keyof X]: BodyValue<R, H, X[P]> }
            : unknown

/** The result of one clause: the value of the last body expression. */
type ClauseResult<R, C> = C extends readonly [infer H, unknown, infer B]
  ? B extends readonly [...unknown[], infer Last]
    ? BodyValue<R, H, Last>
    : unknown
  : unknown

/**
 * The type of a match specification's results over records `R`: inferred from each clause's head
 * and body (`'$_'` is the record, `'$N'` the attribute it binds, templates of those), `unknown`
 * where it cannot be (a variable bound inside a nested value, a spec not written as a literal).
 */
export type SelectResult<R, M> = M extends readonly (infer C)[] ? OrUnknown<ClauseResult<R, C>> : unknown

/** `createTable`'s options for a typed table: the key attribute first, then the others. */
export interface TypedTableOptions<R, K extends string, I extends string> {
  /** Attribute names; the first one is the key. */
  attributes: readonly [K, ...Exclude<keyof R & string, K>[]]
  /** Default `'set'`. */
  type?: TableType
  /** Default `'disc_copies'`. */
  storage?: StorageType
  /** Attributes with a secondary index. */
  index?: readonly I[]
  /** Default: the table name. */
  recordName?: string
  /** `true`: never replicated to other nodes. */
  localContent?: boolean
}

/** A simple table event of a typed table. */
export type TypedTableEvent<T extends string, R, K> =
  | { type: 'write'; table: T; record: R; origin: Origin }
  | { type: 'delete'; table: T; key: K; origin: Origin }
  | { type: 'delete_object'; table: T; record: R; origin: Origin }
  | { type: 'clear'; table: T; origin: Origin }

/** A detailed table event of a typed table: adds the records before the change and the transaction id. */
export type TypedDetailedTableEvent<T extends string, R, K> = TypedTableEvent<T, R, K> & { old: R[]; tid: string }

/** The value of each `tableInfo` item for records `R`. */
export interface TableInfoValues<R> {
  /** How many records the table holds. */
  size: number
  /** The attributes in order (the first is the key). */
  attributes: (keyof R & string)[]
  /** `set`, `ordered_set` or `bag`. */
  type: TableType
  /** This node's copy type. */
  storageType: StorageType
  /** The indexed attributes. */
  index: (keyof R & string)[]
  /** The record name. */
  recordName: string
  /** Attributes + 1, as Mnesia counts (the record name is the first element of its tuples). */
  arity: number
  /** A pattern matching every record: each attribute `'_'`. */
  wildPattern: { [A in keyof R]-?: '_' }
  /** An estimate of the bytes the table's records take in memory. */
  memory: number
  /** `true`: never replicated. */
  localContent: boolean
  /** The node reads are served from (this node when it holds a copy). */
  whereToRead: string
  /** The nodes holding a `ram_copies` copy. */
  ramCopies: string[]
  /** The nodes holding a `disc_copies` copy. */
  discCopies: string[]
  /** The nodes holding a `disc_only_copies` copy. */
  discOnlyCopies: string[]
  /** The nodes whose copy wins after a partition (`setMasterNodes`). */
  masterNodes: string[]
  /** Unique per creation of the table. */
  cookie: string
  /** The table definition's version, bumped by each schema change to it. */
  version: number
}

/** The type of `tableInfo(tab, item)`: the item's own type; `'all'` gives every item; `unknown` for items not listed. */
export type TableInfoValue<R, I> = I extends keyof TableInfoValues<R> ? TableInfoValues<R>[I] : I extends 'all' ? TableInfoValues<R> : unknown
