/**
 * A bounded LRU cache of compiled patterns and match specifications.
 *
 * Compiling is a walk of the spec building closures; a select in a loop should not pay it every
 * time. The cache key is the kind ('p' pattern, 's' spec), the table's attribute list and the
 * spec's canonical string (equal exactly for deep-equal specs, property order ignored). A compiled
 * matcher depends on nothing else of the table definition: keying by the attribute list rather
 * than by (cookie, version) keeps an entry valid across definition changes that do not touch the
 * attributes (adding an index, copies) and can never confuse two tables. Specs holding anything
 * other than plain data (or binary other than Uint8Array) are not cached (compiling them throws anyway).
 *
 * Compiled matchers hold no reference to the caller's spec (see `literal.ts`), so a caller
 * mutating its spec after the call cannot corrupt an entry.
 *
 * @module
 */
import { BadMatchSpecError, WebnesiaError, safeString } from '../errors.js'
import { canonical } from '../storage/term.js'
import { isPlainObject } from '../storage/record.js'
import type { TableDef } from '../schema/table-def.js'
import type { Matcher } from './matcher.js'
import { isBinary } from './literal.js'

/** Maximum number of compiled matchers kept. */
export const SPEC_CACHE_SIZE = 256

const cache = new Map<string, Matcher>()

function plainData(v: unknown, depth: number): boolean {
  if (depth > 64) return false
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'undefined':
      return true
    case 'object':
      // Only Uint8Array among binaries: canonical() does not tell binary types apart, and a
      // cached ['const', X] must give back X's own type.
      if (v === null || v instanceof Date || v instanceof Uint8Array) return true
      if (isBinary(v)) return false
      if (Array.isArray(v)) return v.every((x) => plainData(x, depth + 1))
      return isPlainObject(v) && Object.values(v).every((x) => plainData(x, depth + 1))
    default:
      return false
  }
}

/** The cache key of a spec, or `undefined` when it must not be cached. */
function cacheKey(kind: 'p' | 's', def: Pick<TableDef, 'attributes'>, spec: unknown): string | undefined {
  if (!plainData(spec, 0)) return undefined
  return `${kind}|${def.attributes.join(',')}|${canonical(spec)}`
}

/**
 * Returns the cached matcher for (kind, attributes, spec) or compiles, caches and returns it.
 * Errors thrown by `compile` propagate and nothing is cached; anything else a hostile spec raises
 * while it is walked (a throwing getter or Proxy trap, a stack overflow) is a BadMatchSpecError.
 */
export function cachedCompile(
  kind: 'p' | 's',
  def: Pick<TableDef, 'attributes'>,
  spec: unknown,
  compile: () => Matcher,
): Matcher {
  try {
    return lookupOrCompile(kind, def, spec, compile)
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    // A hostile spec: a getter or Proxy trap that throws, nesting too deep for the stack.
    throw new BadMatchSpecError(`malformed ${kind === 'p' ? 'pattern' : 'match specification'}: ${e instanceof Error ? e.message : safeString(e)}`)
  }
}

function lookupOrCompile(kind: 'p' | 's', def: Pick<TableDef, 'attributes'>, spec: unknown, compile: () => Matcher): Matcher {
  const key = cacheKey(kind, def, spec)
  if (key === undefined) return compile()
  const hit = cache.get(key)
  if (hit !== undefined) {
    cache.delete(key)
    cache.set(key, hit)
    return hit
  }
  const m = compile()
  cache.set(key, m)
  if (cache.size > SPEC_CACHE_SIZE) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  return m
}

/** Number of cached matchers (for tests). */
export function specCacheSize(): number {
  return cache.size
}

/** Empties the cache (for tests). */
export function clearSpecCache(): void {
  cache.clear()
}
