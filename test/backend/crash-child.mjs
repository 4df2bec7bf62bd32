// An edge node committing in a loop until it is killed: `node crash-child.mjs <lib> <dir> <from>`.
// Each transaction writes record `i` to two tables (so a partial transaction would show as a
// difference between them) and prints `ack i` once its commit resolved (acknowledged = durable).
const [lib, dir, fromArg] = process.argv.slice(2)
const { openDatabase } = await import(`${lib}/index.js`)
const db = await openDatabase({ name: 'crash', dir })
for (const t of ['a', 'b']) {
  if (!db.systemInfo('tables').includes(t)) await db.createTable(t, { attributes: ['k', 'v'] })
}
process.stdout.write('ready\n')
for (let i = Number(fromArg); ; i++) {
  await db.transaction(async (t) => {
    await t.write('a', { k: i, v: 'x'.repeat(i % 7 === 0 ? 5000 : 10) })
    await t.write('b', { k: i, v: i })
  })
  process.stdout.write(`ack ${String(i)}\n`)
}
