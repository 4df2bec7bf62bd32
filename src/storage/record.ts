/**
 * Records: validation on the way in, safe hand-out on the way out, and the intents a write set
 * is made of.
 *
 * A record entering a table is validated and deep-copied in one walk ({@link importRecord}):
 * plain objects, arrays, null, booleans, numbers, strings, Dates and binary (Uint8Array,
 * ArrayBuffer, typed arrays) are accepted; anything else (functions, class instances, Maps,
 * cycles) is a {@link BadRecordError} before anything is written. The copy is frozen, so reads can
 * hand the stored object out as it is. Dates and binary cannot be frozen: records holding them are
 * remembered and copied on the way out ({@link exportRecord}). Measured in Chromium: freezing on
 * write makes a point read cost ~1 Map.get, where a structuredClone per read costs ~50x that.
 *
 * @module
 */
import { BadRecordError, WebnesiaError, safeString } from '../errors.js'
import type { TableDef } from '../schema/table-def.js'
import { canonical, checkKey, type Key } from './term.js'

/** A stored record: a frozen plain object whose properties are the table's attributes. */
export type Rec = Readonly<Record<string, unknown>>

/** What a write set says about one key: applied in order at commit (seed 003's ins/del tags). */
export type Intent =
  | { readonly w: Rec } // write (set: replace; bag: add unless a deep-equal record is there)
  | { readonly d: true } // delete every record of the key
  | { readonly o: Rec } // delete exactly this record (delete_object)

const withMutableLeaves = new WeakSet<object>()

/** True when `o` is a plain object (Object.prototype or null prototype). */
export function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null) return false
  const proto = Object.getPrototypeOf(o) as unknown
  return proto === Object.prototype || proto === null
}

interface CopyState {
  mutable: boolean
  path: Set<object>
}

/** How deep values may nest in a record (or a key): deeper ones are refused, never a stack overflow later. */
export const MAX_DEPTH = 1000

function copyValue(v: unknown, st: CopyState, where: string): unknown {
  if (st.path.size >= MAX_DEPTH) throw new BadRecordError(`value nested deeper than ${String(MAX_DEPTH)} levels at ${where.slice(0, 60)}`)
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
      return v
    case 'object': {
      if (v === null) return null
      if (st.path.has(v)) throw new BadRecordError(`cyclic value at ${where}`)
      if (v instanceof Date) {
        st.mutable = true
        return new Date(v.getTime())
      }
      if (v instanceof Uint8Array) {
        st.mutable = true
        return new Uint8Array(v)
      }
      if (v instanceof ArrayBuffer) {
        st.mutable = true
        return v.slice(0)
      }
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        st.mutable = true
        return (v as unknown as { slice(): unknown }).slice()
      }
      st.path.add(v)
      let out: unknown
      if (Array.isArray(v)) {
        const arr = new Array<unknown>(v.length)
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) throw new BadRecordError(`sparse array at ${where}`)
          arr[i] = copyValue(v[i], st, `${where}[${String(i)}]`)
        }
        out = Object.freeze(arr)
      } else if (isPlainObject(v)) {
        const obj: Record<string, unknown> = {}
        for (const k of Object.keys(v)) {
          const x = v[k]
          if (x === undefined) continue
          obj[k] = copyValue(x, st, `${where}.${k}`)
        }
        out = Object.freeze(obj)
      } else {
        throw new BadRecordError(`unclonable value at ${where}: ${Object.prototype.toString.call(v)}`)
      }
      st.path.delete(v)
      return out
    }
    case 'undefined':
      throw new BadRecordError(`undefined at ${where}`)
    default:
      throw new BadRecordError(`unclonable value at ${where}: ${typeof v}`)
  }
}

/**
 * Validates `input` against the table and returns a frozen deep copy with the attributes in
 * definition order. Throws {@link BadRecordError} (not a plain object, unknown attribute, missing
 * key, unclonable value) or {@link BadKeyError} (invalid key).
 */
export function importRecord(def: Pick<TableDef, 'name' | 'attributes'>, input: unknown): Rec {
  try {
    return importChecked(def, input)
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    // A hostile value: a getter or Proxy trap that throws while the record is read.
    throw new BadRecordError(`record for ${def.name} could not be read: ${e instanceof Error ? e.message : safeString(e)}`, { cause: e })
  }
}

/**
 * Throws {@link BadRecordError} unless `v` could be an attribute value of a record (plain data,
 * at most {@link MAX_DEPTH} deep): what an index read looks for, say.
 */
export function checkValue(v: unknown, what: string): void {
  try {
    copyValue(v, { mutable: false, path: new Set() }, what)
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    throw new BadRecordError(`${what} could not be read: ${e instanceof Error ? e.message : safeString(e)}`, { cause: e })
  }
}

function importChecked(def: Pick<TableDef, 'name' | 'attributes'>, input: unknown): Rec {
  if (!isPlainObject(input)) {
    throw new BadRecordError(`record for ${def.name} must be a plain object, got ${safeString(input)}`)
  }
  const attrs = def.attributes
  for (const k of Object.keys(input)) {
    if (!attrs.includes(k)) throw new BadRecordError(`unknown attribute ${JSON.stringify(k)} for table ${def.name}`)
  }
  const keyAttr = attrs[0] as string
  const key = input[keyAttr]
  if (key === undefined) throw new BadRecordError(`missing key attribute ${JSON.stringify(keyAttr)} for table ${def.name}`)
  checkKey(key)
  const st: CopyState = { mutable: false, path: new Set() }
  const out: Record<string, unknown> = {}
  for (const a of attrs) {
    const v = input[a]
    if (v === undefined) continue
    out[a] = copyValue(v, st, a)
  }
  Object.freeze(out)
  if (st.mutable) withMutableLeaves.add(out)
  return out
}

/** Freezes a fresh structured clone in place; true when it holds Dates or binary (mutable leaves). */
function freezeInPlace(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  if (v instanceof Date || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return true
  let mutable = false
  if (Array.isArray(v)) {
    for (const x of v) if (freezeInPlace(x)) mutable = true
  } else {
    for (const k in v) if (freezeInPlace((v as Record<string, unknown>)[k])) mutable = true
  }
  Object.freeze(v)
  return mutable
}

/**
 * Adopts a record whose validity is already established and that nobody else holds: a fresh
 * structured clone read from IndexedDB or received from another tab. It is frozen in place, not
 * copied (a cold load of a large table would otherwise copy every record once more).
 */
export function adoptRecord(input: Record<string, unknown>): Rec {
  if (freezeInPlace(input)) withMutableLeaves.add(input)
  return input
}

/** Returns a record safe to hand to the application (the frozen record itself, or a copy). */
export function exportRecord(r: Rec): Rec {
  return withMutableLeaves.has(r) ? structuredClone<Rec>(r) : r
}

/** Exports every record of a list. */
/** True when a record holds mutable leaves (a Date, a binary value): {@link exportRecord} clones it. */
export function hasMutableLeaves(r: Rec): boolean {
  return withMutableLeaves.has(r)
}

/**
 * Exports the records of a table that never held a record with mutable leaves (its memory copy
 * says so): none needs a clone, so the list is only copied (the hot path of point reads; a
 * WeakSet lookup per record costs more than the rest of a read).
 */
export function exportPlainRecords(rs: readonly Rec[]): Rec[] {
  if (rs.length === 0) return []
  if (rs.length === 1) return [rs[0] as Rec]
  return rs.slice()
}

export function exportRecords(rs: readonly Rec[]): Rec[] {
  if (rs.length === 0) return []
  if (rs.length === 1) return [exportRecord(rs[0] as Rec)]
  const out = new Array<Rec>(rs.length)
  for (let i = 0; i < rs.length; i++) out[i] = exportRecord(rs[i] as Rec)
  return out
}

/** The key of a record. */
export function keyOf(def: Pick<TableDef, 'attributes'>, r: Rec): Key {
  return r[def.attributes[0] as string] as Key
}

/**
 * Applies one intent to the records currently stored under a key and returns the new list
 * (the same array when nothing changed). `bag` decides what a write does.
 */
export function applyIntent(current: readonly Rec[], intent: Intent, bag: boolean): readonly Rec[] {
  if ('w' in intent) {
    if (!bag) return [intent.w]
    // A bag key's records are kept in canonical order, the order of their rows on disc
    // (`[key, canonical]`), so a copy loaded from IndexedDB equals one built by applying writes.
    const c = canonical(intent.w)
    let at = current.length
    for (let i = 0; i < current.length; i++) {
      const ci = canonical(current[i])
      if (ci === c) return current
      if (ci > c) {
        at = i
        break
      }
    }
    return [...current.slice(0, at), intent.w, ...current.slice(at)]
  }
  if ('d' in intent) return current.length === 0 ? current : []
  const c = canonical(intent.o)
  const out = current.filter((r) => canonical(r) !== c)
  return out.length === current.length ? current : out
}

/** Applies a list of intents in order. */
export function applyIntents(current: readonly Rec[], intents: readonly Intent[], bag: boolean): readonly Rec[] {
  let out = current
  for (const i of intents) out = applyIntent(out, i, bag)
  return out
}
