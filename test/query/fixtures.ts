/**
 * Shared fixtures of the query tests: the seed's `employee` table (Mnesia User's Guide ch. 5)
 * and a few records.
 */
import { makeTableDef, type TableDef, type TableOptions } from '../../src/schema/table-def.js'
import { importRecord, type Rec } from '../../src/storage/record.js'

let cookies = 0

/** A table definition for tests. */
export function table(name: string, opts: TableOptions): TableDef {
  cookies++
  return makeTableDef(name, opts, `test-cookie-${String(cookies)}`)
}

/** The employee table of seed 004, with `name` indexed. */
export const employee = table('employee', {
  attributes: ['empNo', 'name', 'salary', 'sex', 'phone', 'roomNo'],
  index: ['name'],
})

/** Employees: roomNo is [floor*100+room, wing]. */
export const employees: Rec[] = [
  { empNo: 104465, name: 'Johnson Torbjorn', salary: 1, sex: 'male', phone: 99184, roomNo: [242, 'b'] },
  { empNo: 104068, name: 'Raddning Asa', salary: 2, sex: 'female', phone: 99176, roomNo: [221, 'b'] },
  { empNo: 104123, name: 'Dacker Bjarne', salary: 3, sex: 'male', phone: 99160, roomNo: [223, 'b'] },
  { empNo: 104634, name: 'Ericsson Jan', salary: 4, sex: 'male', phone: 99180, roomNo: [229, 'b'] },
  { empNo: 104678, name: 'Sten Ola', salary: 5, sex: 'male', phone: 99185, roomNo: [315, 'c'] },
  { empNo: 104700, name: 'Virding Rob', salary: 6, sex: 'female', phone: 99101, roomNo: [104700, 'x'] },
  { empNo: [7, 'x'], name: 'Tuple Key', salary: 2.5, sex: 'female', roomNo: [7, 'x'] },
  { empNo: 'temp', name: 'No Phone', sex: 'male', roomNo: [225, 'a'] },
].map((r) => importRecord(employee, r))

/** The records of `rs` that the matcher accepts, with their results. */
export function select(m: { run(r: Rec): unknown }, rs: readonly Rec[], noMatch: symbol): unknown[] {
  const out: unknown[] = []
  for (const r of rs) {
    const v = m.run(r)
    if (v !== noMatch) out.push(v)
  }
  return out
}
