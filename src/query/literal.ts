/**
 * Literals inside patterns and match specifications, and the spelling of variables.
 *
 * A compiled matcher is cached and shared between callers, so it must never hold on to an object
 * of the caller's spec (the caller may mutate it afterwards). Every literal that outlives
 * compilation is therefore copied here, deep-frozen, and - when it holds a Date or binary, which
 * cannot be frozen - handed out as a fresh copy each time ({@link constantGetter}).
 *
 * Literals are the record value types: null, booleans, numbers, strings, Dates, binary
 * (ArrayBuffer and typed-array views), arrays and plain objects. Anything else (undefined inside
 * an array, functions, Maps, class instances, symbols, bigints) is a `BadMatchSpecError`.
 *
 * Variables are the strings `'$0'`, `'$1'`, … (`/^\$\d+$/`; `'$01'` is variable 1). `'_'` is the
 * wildcard; `'$_'` (the record) and `'$$'` (all variables) are only meaningful in guards and bodies.
 *
 * @module
 */
import { BadMatchSpecError, safeString } from '../errors.js'
import { isPlainObject } from '../storage/record.js'

const VAR_RE = /^\$\d{1,15}$/

/** The number of a variable `'$N'`, or `undefined` when `s` is not a variable. */
export function varNumber(s: unknown): number | undefined {
  return typeof s === 'string' && VAR_RE.test(s) ? Number(s.slice(1)) : undefined
}

/** True when `s` is one of the strings a pattern or spec gives a meaning to. */
export function isSpecial(s: unknown): boolean {
  return s === '_' || s === '$_' || s === '$$' || varNumber(s) !== undefined
}

/** True for ArrayBuffer and every ArrayBuffer view. */
export function isBinary(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v)
}

/** Throws a `BadMatchSpecError` naming the place. */
export function bad(where: string, message: string): never {
  throw new BadMatchSpecError(where ? `${where}: ${message}` : message)
}

/** Throws unless `v` is plain data (a possible record value). */
export function checkLiteral(v: unknown, where: string): void {
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
      return
    case 'object':
      if (v === null || v instanceof Date || isBinary(v)) return
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || v[i] === undefined) bad(where, 'undefined or hole in an array')
          checkLiteral(v[i], `${where}[${String(i)}]`)
        }
        return
      }
      if (isPlainObject(v)) {
        for (const k of Object.keys(v)) if (v[k] !== undefined) checkLiteral(v[k], `${where}.${k}`)
        return
      }
      bad(where, `not a plain value: ${Object.prototype.toString.call(v)}`)
      break
    default:
      bad(where, `not a plain value: ${typeof v === 'undefined' ? 'undefined' : safeString(v)}`)
  }
}

/** Deep copy of a checked literal: arrays and objects frozen, `undefined` properties dropped. */
export function freezeLiteral(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v
  if (v instanceof Date) return new Date(v.getTime())
  if (v instanceof ArrayBuffer) return v.slice(0)
  if (v instanceof DataView) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice()
  if (Array.isArray(v)) return Object.freeze(v.map(freezeLiteral))
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== undefined) out[k] = freezeLiteral(x)
  }
  return Object.freeze(out)
}

/** True when a frozen literal holds a Date or binary somewhere (it cannot be shared). */
export function hasMutableLeaves(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  if (v instanceof Date || isBinary(v)) return true
  if (Array.isArray(v)) return v.some(hasMutableLeaves)
  return Object.values(v).some(hasMutableLeaves)
}

/** A getter for a checked literal that never leaks a mutable object of the cache. */
export function constantGetter(v: unknown): () => unknown {
  const c = freezeLiteral(v)
  if (!hasMutableLeaves(c)) return () => c
  return () => structuredClone(c)
}
