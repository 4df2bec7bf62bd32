// Holds a node folder open until killed: `node lock-child.mjs <lib> <dir>`; prints "open" once it holds it.
const [lib, dir] = process.argv.slice(2)
const { fileBackend } = await import(`${lib}/backend/file/backend.js`)
const b = fileBackend(dir)('n', (tx) => tx.createStore('s'))
await b.storeNames()
process.stdout.write('open\n')
setInterval(() => undefined, 1 << 30)
