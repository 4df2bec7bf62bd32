/**
 * Malformed values for the hostile-input property tests: each arbitrary here yields only values
 * that the API must refuse in the place they are generated for (never a valid key, record, …),
 * so an operation that accepts one is a bug, not a flaky test.
 */
import fc from 'fast-check'

class Opaque {
  x = 1
}

/** A plain object whose property read throws. */
function throwingGetter(): Record<string, unknown> {
  return Object.defineProperty<Record<string, unknown>>({}, 'a', {
    enumerable: true,
    get() {
      throw new Error('hostile getter')
    },
  })
}

/**
 * A Proxy that throws from every trap (symbol-keyed reads aside: fast-check looks for its
 * clone method on generated values).
 */
function hostileProxy(target: object): object {
  const boom = (): never => {
    throw new Error('hostile proxy')
  }
  return new Proxy(target, {
    get: (_t, p) => (typeof p === 'symbol' ? undefined : boom()),
    has: (_t, p) => (typeof p === 'symbol' ? false : boom()),
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
  })
}

function nested(depth: number, leaf: unknown, asObject: boolean): unknown {
  let v: unknown = leaf
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v]
  return v
}

function cyclicArray(): unknown[] {
  const a: unknown[] = [1]
  a.push(a)
  return a
}
function cyclicObject(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 }
  o['self'] = o
  return o
}

/** Values that can never be part of a record (or a key, or a literal). */
export const unclonable: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<() => unknown>(
    () => () => 1,
    () => Symbol('s'),
    () => 10n,
    () => new Map([[1, 2]]),
    () => new Set([1]),
    () => new WeakMap(),
    () => new Opaque(),
    () => Promise.resolve(1),
    () => /re/,
    () => new Error('e'),
    () => new Number(1),
    () => new String('s'),
    () => cyclicArray(),
    () => cyclicObject(),
    () => throwingGetter(),
    () => hostileProxy({}),
    () => hostileProxy([]),
    () => [1, , 3],
    () => nested(20_000, 1, false),
    () => nested(20_000, 1, true),
    () => [undefined],
  ).map((make) => make()),
)

/** Values that are never valid keys. */
export const badKey: fc.Arbitrary<unknown> = fc.oneof(
  unclonable,
  fc.constantFrom<unknown>(Number.NaN, null, undefined, true, false, {}, { a: 1 }, Object.create(null), new Date(Number.NaN)),
  fc.tuple(fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }), fc.constantFrom<unknown>(Number.NaN, null, true, {}, undefined)).map(([ok, b]) => [...ok, b]),
  fc.constantFrom<unknown>(Number.NaN, null, true).map((b) => [[[b]]]),
)

/** Values that are not table names of this database (wrong type, empty, too long, unknown). */
export const badTable: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>('', 'x'.repeat(201), null, undefined, 1, true, [], ['s'], {}, Object.create(null), Symbol('t'), 1n, () => 's'),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => `nope_${s}`),
  unclonable,
)

/** Anything that is not a string, or a string outside `allowed`. */
export function notOneOf(allowed: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 10 }).filter((s) => !allowed.includes(s)),
    fc.constantFrom<unknown>(null, undefined, 0, 1, true, {}, [], Object.create(null), Symbol('k'), 2n),
    fc.constantFrom(...allowed).map((s) => s.toUpperCase() + ' '),
  )
}

/** Anything that is not a function. */
export const notFunction: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(null, undefined, 0, 'fn', {}, [], Symbol('f'), 3n, Object.create(null))

/** Non-negative integers' complement: what a count, a chunk size or a slot must not be. */
export const badCount: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(-1, 0.5, Number.NaN, Infinity, -Infinity, '1', null, {}, [], true, 1n, Symbol('n'))
