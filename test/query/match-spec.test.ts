import { describe, expect, it } from 'vitest'
import { BadMatchSpecError } from '../../src/errors.js'
import { OPERATOR_NAMES } from '../../src/query/expr.js'
import { compileMatchSpec } from '../../src/query/match-spec.js'
import { BODY_EXIT, NO_MATCH } from '../../src/query/matcher.js'
import { clearSpecCache, SPEC_CACHE_SIZE, specCacheSize } from '../../src/query/spec-cache.js'
import { importRecord, type Rec } from '../../src/storage/record.js'
import { employee, employees, select, table } from './fixtures.js'

describe('compileMatchSpec: seed 004 section 5.7', () => {
  it('names of the male employees on the second floor', () => {
    const m = compileMatchSpec(employee, [
      [{ name: '$1', sex: 'male', roomNo: ['$2', '_'] }, [['>=', '$2', 220], ['<', '$2', 230]], ['$1']],
    ])
    expect(select(m, employees, NO_MATCH)).toEqual(['Dacker Bjarne', 'Ericsson Jan', 'No Phone'])
  })

  it('match_object patterns as heads returning "$_"', () => {
    const females = compileMatchSpec(employee, [[{ sex: 'female' }, [], ['$_']]])
    expect(select(females, employees, NO_MATCH)).toEqual(employees.filter((e) => e.sex === 'female'))
    const odd = compileMatchSpec(employee, [[{ empNo: '$1', roomNo: '$1' }, [], ['$_']]])
    expect(select(odd, employees, NO_MATCH)).toEqual([employees[6]])
  })

  it('salaries below 10 raised to 10 (the foldl example, as a select)', () => {
    const m = compileMatchSpec(employee, [[{ empNo: '$1', salary: '$2' }, [['<', '$2', 10]], [['-', 10, '$2']]]])
    const raises = select(m, employees, NO_MATCH) as number[]
    expect(raises.reduce((a, b) => a + b, 0)).toBe(9 + 8 + 7 + 6 + 5 + 4 + 7.5)
  })
})

const t = table('t', { attributes: ['id', 'a', 'b', 'c'] })
const r1 = importRecord(t, { id: 1, a: 7, b: 'x', c: [1, [2, 3], { k: 'v' }] })
const r2 = importRecord(t, { id: 2, a: -7.5, b: null, c: true })
const head = { id: '$1', a: '$2', b: '$3', c: '$4' }

/** Evaluates one guard expression on r1 (through a clause whose body is `true`). */
function guard(g: unknown, r: Rec = r1): boolean {
  return compileMatchSpec(t, [[head, [g], [true]]]).run(r) === true
}
/** Evaluates one body expression. */
function body(e: unknown, r: Rec = r1): unknown {
  return compileMatchSpec(t, [[head, [], [e]]]).run(r)
}

describe('compileMatchSpec: results', () => {
  it("'$_', '$$', '$N', literals, const", () => {
    expect(body('$_')).toBe(r1)
    expect(body('$$')).toEqual([1, 7, 'x', r1.c])
    expect(body('$3')).toBe('x')
    expect(body(42)).toBe(42)
    expect(body('plain string')).toBe('plain string')
    expect(body(null)).toBe(null)
    expect(body(false)).toBe(false)
    expect(body(['const', '$1'])).toBe('$1')
    expect(body(['const', ['==', 1, 2]])).toEqual(['==', 1, 2])
    expect(body(new Date(3))).toEqual(new Date(3))
  })

  it("'$$' lists the head's variables by number, gaps left out", () => {
    const m = compileMatchSpec(t, [[{ a: '$7', b: '$3', id: '$1' }, [], ['$$']]])
    expect(m.run(r1)).toEqual([1, 'x', 7])
    expect(compileMatchSpec(t, [['_', [], ['$$']]]).run(r1)).toEqual([])
  })

  it('templates: arrays and objects of expressions, nested', () => {
    expect(body(['$2', '$1'])).toEqual([7, 1])
    expect(body({ a: '$1', nested: ['$3', { z: ['+', '$2', 1] }] })).toEqual({ a: 1, nested: ['x', { z: 8 }] })
    expect(body(['ok', '$2'])).toEqual(['ok', 7]) // not an operator: a template in a body
    expect(body([])).toEqual([])
    expect(body({})).toEqual({})
  })

  it('the last body expression is the result; a failing call is EXIT in its own place (OTP 25)', () => {
    expect(compileMatchSpec(t, [[head, [], ['$1', '$2']]]).run(r1)).toBe(7)
    // OTP: [{'+','$2',1}, '$1'] on a string $2 gives $1: a failure before the last is ignored
    expect(compileMatchSpec(t, [[head, [], [['+', '$3', 1], '$2']]]).run(r1)).toBe(7)
    expect(body(['div', '$2', 0])).toBe(BODY_EXIT)
    expect(body([['element', 9, '$4']])).toEqual([BODY_EXIT])
    expect(body([['element', 9, '$4'], '$1'])).toEqual([BODY_EXIT, 1])
  })

  it("head '_' matches every record, head '$N' binds the record", () => {
    expect(compileMatchSpec(t, [['_', [], ['$_']]]).run(r2)).toBe(r2)
    expect(compileMatchSpec(t, [['$5', [['==', ['map_get', 'id', '$5'], 2]], ['$5']]]).run(r2)).toBe(r2)
    expect(compileMatchSpec(t, [['$5', [['==', ['map_get', 'id', '$5'], 2]], ['$5']]]).run(r1)).toBe(NO_MATCH)
  })

  it('clauses are tried in order; the first match wins', () => {
    const m = compileMatchSpec(t, [
      [{ a: '$1' }, [['>', '$1', 0]], ['positive']],
      [{ a: '$1' }, [['/', 1, 0]], ['never']], // guard raises: clause fails
      ['_', [], ['other']],
    ])
    expect(m.run(r1)).toBe('positive')
    expect(m.run(r2)).toBe('other')
  })

  it('results do not expose cached constants', () => {
    const spec = [['_', [], [['const', { d: new Date(1), l: [1] }]]]]
    const v = compileMatchSpec(t, spec).run(r1) as { d: Date; l: number[] }
    v.d.setTime(99) // holds a Date: a fresh copy each time
    v.l.push(2)
    expect(compileMatchSpec(t, spec).run(r1)).toEqual({ d: new Date(1), l: [1] })
    const frozen = compileMatchSpec(t, [['_', [], [['const', { l: [1] }]]]]).run(r1) as { l: number[] }
    expect(() => frozen.l.push(2)).toThrow() // plain data: shared, deep-frozen
  })
})

describe('compileMatchSpec: guards', () => {
  it('comparisons in term order', () => {
    expect(guard(['==', '$2', 7])).toBe(true)
    expect(guard(['=:=', '$4', ['const', [1, [2, 3], { k: 'v' }]]])).toBe(true)
    expect(guard(['/=', '$2', 7])).toBe(false)
    expect(guard(['=/=', '$3', 'y'])).toBe(true)
    expect(guard(['<', '$2', '$3'])).toBe(true) // number < string
    expect(guard(['=<', 7, '$2'])).toBe(true)
    expect(guard(['>', '$4', '$3'])).toBe(true) // array > string
    expect(guard(['>=', '$2', 8])).toBe(false)
    expect(guard(['<', null, false])).toBe(true)
    expect(guard(['<', true, 0])).toBe(true)
    expect(guard(['<', ['const', [1, 2]], ['const', { a: 1 }]])).toBe(true)
    expect(guard(['<', new Date(0), ''])).toBe(true)
  })

  it('boolean operators, short-circuit and strict', () => {
    expect(guard(['andalso', true, ['>', '$2', 1]])).toBe(true)
    expect(guard(['andalso', false, ['+', '$3', 1]])).toBe(false) // never evaluates the failing one
    expect(guard(['and', false, ['+', '$3', 1]])).toBe(false) // strict: evaluates it, fails
    expect(guard(['orelse', true, ['+', '$3', 1]])).toBe(true)
    expect(guard(['or', true, ['+', '$3', 1]])).toBe(false)
    expect(guard(['or', false, true, false])).toBe(true)
    expect(guard(['and', true, true, true])).toBe(true)
    expect(guard(['not', ['==', '$2', 8]])).toBe(true)
    expect(guard(['not', 1])).toBe(false)
    expect(guard(['xor', true, false])).toBe(true)
    expect(guard(['xor', true, true])).toBe(false)
    expect(guard(['andalso', 1, true])).toBe(false) // non-boolean: fails
    expect(guard(true)).toBe(true)
    expect(guard(1)).toBe(false) // a guard must be exactly true
  })

  it('arithmetic, with Erlang div/rem and failures', () => {
    expect(body(['+', '$2', 1])).toBe(8)
    expect(body(['-', '$2'])).toBe(-7)
    expect(body(['+', '$2'])).toBe(7)
    expect(body(['-', '$2', 10])).toBe(-3)
    expect(body(['*', '$2', 3])).toBe(21)
    expect(body(['/', '$2', 2])).toBe(3.5)
    expect(body(['div', '$2', 2])).toBe(3)
    expect(body(['div', -7, 2])).toBe(-3)
    expect(body(['rem', '$2', 3])).toBe(1)
    expect(body(['rem', -7, 3])).toBe(-1)
    expect(body(['abs', -2.5])).toBe(2.5)
    expect(body(['min', '$2', '$3'])).toBe(7)
    expect(body(['max', '$2', '$3'])).toBe('x')
    expect(guard(['==', ['/', '$2', 0], 1])).toBe(false)
    expect(guard(['==', ['div', 7.5, 2], 3])).toBe(false)
    expect(guard(['==', ['rem', 7, 0], 0])).toBe(false)
    expect(guard(['>', ['+', '$3', 1], 0])).toBe(false)
    expect(guard(['>', ['*', null, 1], 0])).toBe(false)
    expect(guard(['<', ['-', ['const', Infinity], ['const', Infinity]], 0])).toBe(false) // NaN fails
  })

  it('type tests', () => {
    const tests: [string, unknown, boolean][] = [
      ['is_number', '$2', true], ['is_number', '$3', false],
      ['is_integer', '$2', true], ['is_integer', 2.5, false],
      ['is_float', 2.5, true], ['is_float', '$2', false],
      ['is_string', '$3', true], ['is_string', '$2', false],
      ['is_array', '$4', true], ['is_array', '$_', false],
      ['is_object', '$_', true], ['is_object', '$4', false], ['is_object', new Date(0), false],
      ['is_boolean', true, true], ['is_boolean', null, false],
      ['is_null', null, true], ['is_null', '$2', false],
      ['is_date', new Date(0), true], ['is_date', 0, false],
      ['is_binary', new Uint8Array(1), true], ['is_binary', '$4', false],
    ]
    for (const [op, arg, want] of tests) expect(guard([op, arg]), `${op}(${String(arg)})`).toBe(want)
  })

  it('element, size, length, map_get, is_map_key', () => {
    expect(body(['element', 1, '$4'])).toBe(1)
    expect(body(['element', 2, ['element', 2, '$4']])).toBe(3)
    expect(body(['element', 0, '$4'])).toBe(BODY_EXIT)
    expect(body(['element', 1, '$3'])).toBe(BODY_EXIT)
    expect(body(['size', '$4'])).toBe(3)
    expect(body(['size', new Uint8Array(5)])).toBe(5)
    expect(body(['length', '$4'])).toBe(3)
    expect(body(['length', '$3'])).toBe(BODY_EXIT)
    expect(body(['map_get', 'k', ['element', 3, '$4']])).toBe('v')
    expect(body(['map_get', 'nope', ['element', 3, '$4']])).toBe(BODY_EXIT)
    expect(body(['is_map_key', 'b', '$_'])).toBe(true)
    expect(compileMatchSpec(t, [['_', [], [['is_map_key', 'b', '$_']]]]).run(importRecord(t, { id: 3 }))).toBe(false)
    expect(body(['is_map_key', 'b', '$4'])).toBe(BODY_EXIT)
  })

  it('the operator set is the one tested above', () => {
    expect([...OPERATOR_NAMES].sort()).toEqual(
      [
        '==', '=:=', '/=', '=/=', '<', '=<', '>', '>=', 'andalso', 'orelse', 'and', 'or', 'not', 'xor',
        '+', '-', '*', '/', 'div', 'rem', 'abs', 'min', 'max', 'is_number', 'is_integer', 'is_float',
        'is_string', 'is_boolean', 'is_null', 'is_array', 'is_object', 'is_date', 'is_binary', 'element',
        'size', 'length', 'map_get', 'is_map_key',
      ].sort(),
    )
  })
})

describe('compileMatchSpec: bindings for the planner', () => {
  it('head literals, key prefixes, and "$N" == literal guards', () => {
    const m = compileMatchSpec(t, [
      [{ id: 5, a: 'x', b: '$1' }, [], ['$_']],
      [{ id: [1, '_'], b: '$1' }, [['==', '$1', 3]], ['$_']],
      [{ id: '$1', a: '$2' }, [['andalso', ['=:=', ['const', [1]], '$1'], ['==', '$2', null]]], ['$_']],
      ['_', [], ['$_']],
    ])
    expect(m.clauses).toEqual([
      { key: { value: 5 }, attrs: new Map([['a', 'x']]) },
      { keyPrefix: [1], attrs: new Map([['b', 3]]) },
      { key: { value: [1] }, attrs: new Map([['a', null]]) },
      { attrs: new Map() },
    ])
  })
})

describe('compileMatchSpec: malformed specs are rejected before anything runs', () => {
  const bad: [string, unknown][] = [
    ['not an array', { head: '_' }],
    ['a clause that is not an array', ['_']],
    ['a clause with two elements', [['_', []]]],
    ['a clause with four elements', [['_', [], ['$_'], 1]]],
    ['a head that is a number', [[1, [], ['$_']]]],
    ['a head that is an array', [[['_'], [], ['$_']]]],
    ['an unknown head attribute', [[{ nope: '$1' }, [], ['$1']]]],
    ["'$_' in a head", [[{ a: '$_' }, [], ['$_']]]],
    ['guards not an array', [['_', true, ['$_']]]],
    ['an empty body', [['_', [], []]]],
    ['a body that is not an array', [['_', [], '$_']]],
    ['an unknown guard function', [['_', [['is_numbr', 1]], ['$_']]]],
    ['an unknown function nested in a guard', [['_', [['not', ['frobnicate', 1]]], ['$_']]]],
    ['a wrong arity (comparison)', [[{ a: '$1' }, [['<', '$1']], ['$_']]]],
    ['a wrong arity (not)', [[{ a: '$1' }, [['not', true, false]], ['$_']]]],
    ['a wrong arity (element)', [[{ a: '$1' }, [], [['element', 1]]]]],
    ['a wrong arity (const)', [['_', [], [['const', 1, 2]]]]],
    ['a wrong arity in a body operator', [['_', [], [['+', 1, 2, 3]]]]],
    ['an unbound variable in a guard', [[{ a: '$1' }, [['>', '$2', 1]], ['$1']]]],
    ['an unbound variable in a body', [[{ a: '$1' }, [], [['$1', '$2']]]]],
    ["an unbound variable with head '_'", [['_', [], ['$1']]]],
    ["'_' in a body", [[{ a: '$1' }, [], ['_']]]],
    ['a function in a body', [['_', [], [() => 1]]]],
    ['undefined in a body', [['_', [], [undefined]]]],
    ['a Map constant', [['_', [], [['const', new Map()]]]]],
    ['a bad second clause', [['_', [], ['$_']], ['_', [['bogus']], ['$_']]]],
  ]
  it.each(bad)('%s', (_label, spec) => {
    expect(() => compileMatchSpec(t, spec)).toThrow(BadMatchSpecError)
  })
  it('messages say where and why', () => {
    expect(() => compileMatchSpec(t, [['_', [], ['$_']], [{ a: '$1' }, [['>', '$2', 1]], ['$1']]])).toThrow(
      /clause 2 guard 1.*\$2 is not bound/,
    )
    expect(() => compileMatchSpec(t, [[{ zz: 1 }, [], ['$_']]])).toThrow(/unknown attribute "zz"/)
  })
})

describe('compileMatchSpec: cache', () => {
  it('returns the same matcher for deep-equal specs, bounded in size', () => {
    clearSpecCache()
    const a = compileMatchSpec(t, [[{ a: '$1', b: 'x' }, [], ['$1']]])
    const b = compileMatchSpec(t, [[{ b: 'x', a: '$1' }, [], ['$1']]])
    expect(b).toBe(a)
    const other = table('t2', { attributes: ['id', 'a', 'b'] })
    expect(compileMatchSpec(other, [[{ a: '$1', b: 'x' }, [], ['$1']]])).not.toBe(a)
    for (let i = 0; i < SPEC_CACHE_SIZE + 10; i++) compileMatchSpec(t, [['_', [], [i]]])
    expect(specCacheSize()).toBe(SPEC_CACHE_SIZE)
    expect(compileMatchSpec(t, [[{ a: '$1', b: 'x' }, [], ['$1']]])).not.toBe(a) // evicted
  })

  it('a cached matcher is not affected by the caller mutating its spec', () => {
    const spec: unknown[][] = [[{ a: '$1' }, [['>', '$1', 5]], ['$1']]]
    const m = compileMatchSpec(t, spec)
    ;(spec[0]![1] as unknown[][])[0]![2] = 100
    expect(m.run(r1)).toBe(7)
    expect(compileMatchSpec(t, spec).run(r1)).toBe(NO_MATCH)
  })
})
