import { describe, expect, it } from 'vitest'
import { BadMatchSpecError } from '../../src/errors.js'
import { NO_MATCH } from '../../src/query/matcher.js'
import { compilePattern } from '../../src/query/pattern.js'
import { importRecord } from '../../src/storage/record.js'
import { employee, employees, select, table } from './fixtures.js'

const names = (rs: unknown[]): unknown[] => rs.map((r) => (r as { name: string }).name)

describe('compilePattern: seed 004 section 5.7', () => {
  it('all female employees: { sex: "female" }', () => {
    const m = compilePattern(employee, { sex: 'female' })
    expect(names(select(m, employees, NO_MATCH))).toEqual(['Raddning Asa', 'Virding Rob', 'Tuple Key'])
  })

  it('employees whose empNo equals their roomNo: { empNo: "$1", roomNo: "$1" }', () => {
    const m = compilePattern(employee, { empNo: '$1', roomNo: '$1' })
    expect(names(select(m, employees, NO_MATCH))).toEqual(['Tuple Key'])
  })

  it('returns the record itself', () => {
    const m = compilePattern(employee, { empNo: 104465 })
    const r = employees[0]!
    expect(m.run(r)).toBe(r)
  })

  it('the wild pattern (every attribute "_") and {} match every record', () => {
    const wild = Object.fromEntries(employee.attributes.map((a) => [a, '_']))
    expect(select(compilePattern(employee, wild), employees, NO_MATCH)).toHaveLength(employees.length)
    expect(select(compilePattern(employee, {}), employees, NO_MATCH)).toHaveLength(employees.length)
  })
})

describe('compilePattern: structure', () => {
  const t = table('things', { attributes: ['id', 'v', 'w'] })
  const rec = (v: unknown, w?: unknown) => importRecord(t, w === undefined ? { id: 1, v } : { id: 1, v, w })

  it('repeated variables need deep-equal values', () => {
    const m = compilePattern(t, { v: '$1', w: '$1' })
    expect(m.run(rec([1, { a: 2 }], [1, { a: 2 }]))).not.toBe(NO_MATCH)
    expect(m.run(rec(new Date(5), new Date(5)))).not.toBe(NO_MATCH)
    expect(m.run(rec(new Uint8Array([1, 2]), new Uint8Array([1, 2])))).not.toBe(NO_MATCH)
    expect(m.run(rec({ a: 1, b: 2 }, { b: 2, a: 1 }))).not.toBe(NO_MATCH)
    expect(m.run(rec([1], [1, 2]))).toBe(NO_MATCH)
    expect(m.run(rec(1, '1'))).toBe(NO_MATCH)
    expect(m.run(rec(0, -0))).not.toBe(NO_MATCH)
  })

  it('repeated variables inside nested structures', () => {
    const m = compilePattern(t, { v: ['$1', ['$2', '$1']], w: { x: '$2' } })
    expect(m.run(rec([1, [2, 1]], { x: 2 }))).not.toBe(NO_MATCH)
    expect(m.run(rec([1, [2, 3]], { x: 2 }))).toBe(NO_MATCH)
    expect(m.run(rec([1, [2, 1]], { x: 3 }))).toBe(NO_MATCH)
  })

  it('arrays match with the same length only', () => {
    const m = compilePattern(t, { v: ['_', 'b'] })
    expect(m.run(rec([1, 'b']))).not.toBe(NO_MATCH)
    expect(m.run(rec([1, 'b', 3]))).toBe(NO_MATCH)
    expect(m.run(rec(['b']))).toBe(NO_MATCH)
    expect(m.run(rec({ 0: 1, 1: 'b' }))).toBe(NO_MATCH)
  })

  it('nested objects match the exact same property set', () => {
    const m = compilePattern(t, { v: { city: '$1', zip: '_' } })
    expect(m.run(rec({ city: 'Oslo', zip: 1 }))).not.toBe(NO_MATCH)
    expect(m.run(rec({ city: 'Oslo' }))).toBe(NO_MATCH)
    expect(m.run(rec({ city: 'Oslo', zip: 1, extra: 0 }))).toBe(NO_MATCH)
    expect(m.run(rec(['Oslo', 1]))).toBe(NO_MATCH)
    expect(m.run(rec(new Date(0)))).toBe(NO_MATCH)
  })

  it('literals match deep-equal values: Dates by time, binary by bytes', () => {
    expect(compilePattern(t, { v: new Date(7) }).run(rec(new Date(7)))).not.toBe(NO_MATCH)
    expect(compilePattern(t, { v: new Date(7) }).run(rec(7))).toBe(NO_MATCH)
    expect(compilePattern(t, { v: new Uint8Array([9]) }).run(rec(new Uint8Array([9])))).not.toBe(NO_MATCH)
    expect(compilePattern(t, { v: new Uint8Array([9]).buffer }).run(rec(new Uint8Array([9])))).not.toBe(NO_MATCH)
    expect(compilePattern(t, { v: new Uint8Array([9]) }).run(rec([9]))).toBe(NO_MATCH)
    expect(compilePattern(t, { v: null }).run(rec(null))).not.toBe(NO_MATCH)
    expect(compilePattern(t, { v: false }).run(rec(null))).toBe(NO_MATCH)
    expect(compilePattern(t, { v: { a: [1, 'x'] } }).run(rec({ a: [1, 'x'] }))).not.toBe(NO_MATCH)
  })

  it('an absent attribute matches only "_"', () => {
    const r = rec(1) // w absent
    expect(compilePattern(t, { w: '_' }).run(r)).toBe(r)
    expect(compilePattern(t, { w: undefined }).run(r)).toBe(r)
    expect(compilePattern(t, { w: '$1' }).run(r)).toBe(NO_MATCH)
    expect(compilePattern(t, { w: null }).run(r)).toBe(NO_MATCH)
  })

  it('does not depend on the caller mutating its pattern afterwards', () => {
    const p = { v: [new Date(1), 'a'] as unknown[] }
    const m = compilePattern(t, p)
    ;(p.v[0] as Date).setTime(2)
    p.v[1] = 'b'
    expect(m.run(rec([new Date(1), 'a']))).not.toBe(NO_MATCH)
    expect(m.clauses[0]!.attrs.get('v')).toEqual([new Date(1), 'a'])
  })

  it('reports what the head binds', () => {
    expect(compilePattern(t, { id: 3, v: 'x', w: '$1' }).clauses).toEqual([
      { key: { value: 3 }, attrs: new Map([['v', 'x']]) },
    ])
    expect(compilePattern(t, { id: [1, 'a', '_', 2] }).clauses).toEqual([{ keyPrefix: [1, 'a'], attrs: new Map() }])
    expect(compilePattern(t, { id: ['$1', 'a'] }).clauses).toEqual([{ attrs: new Map() }])
    expect(compilePattern(t, { v: [1, '_'] }).clauses).toEqual([{ attrs: new Map() }])
  })
})

describe('compilePattern: bad patterns', () => {
  const bad: [string, unknown][] = [
    ['not an object', 'x'],
    ['null', null],
    ['an array', ['_', '_']],
    ["'_' alone", '_'],
    ['unknown attribute', { nope: 1 }],
    ['a function', { name: () => 1 }],
    ['a Map', { name: new Map() }],
    ['a class instance', { name: new (class A {})() }],
    ["'$_' in a pattern", { name: '$_' }],
    ["'$$' in a pattern", { name: ['$$'] }],
    ['undefined in an array', { roomNo: [1, undefined] }],
    ['a hole in an array', { roomNo: [1, , 2] }],
    ['a bigint', { salary: 1n }],
  ]
  it.each(bad)('%s', (_label, p) => {
    expect(() => compilePattern(employee, p)).toThrow(BadMatchSpecError)
  })
})
