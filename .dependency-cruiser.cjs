/**
 * The engine's layers, checked by `npm run lint` (dependency-cruiser). A module may import its
 * own layer and the layers BELOW it, never one above; and no import cycles anywhere in src/.
 * Type-only imports count: a type is a dependency too.
 *
 * From the bottom (each line may use the lines above it):
 *
 *   util        src/util/, src/errors.ts          ids, the Web Locks shim, errors
 *   backend     src/backend/ (but file/)          the storage backend seam, IndexedDB, the fault wrapper
 *   defs        src/schema/table-def.ts           what a table is (every layer above knows it)
 *   storage     src/storage/                      records, term order, memory and disc table copies
 *   backend-file src/backend/file/                the Node file backend (it keeps keys in term order)
 *   catalog     src/schema/catalog.ts             this tab's tables and their copies
 *   log         src/log/                          on-disc format, log entries, the append protocol, the dumper
 *   events      src/events/                       events derived from log entries
 *   node        src/node.ts, src/node/            the applier, hooks, dumps, housekeeping, tabs (the composition root)
 *   schema-ops  src/schema/ddl.ts, src/schema/info.ts   schema transactions and table_info over a node
 *   query       src/query/                        patterns, match specs, planner, executor
 *   txn         src/txn/                          transactions, the committer
 *   replication src/replication/                  peers, the replication document, transports
 *   primary     src/primary/                      primary tables and read routing (txn + replication)
 *   app         src/saga/, src/eventstore/, src/live/, src/typed/   the application layer (DESIGN.md
 *               decision 9): it stands on the public API, so it may import the api layer's TYPES
 *               (type-only imports of db.ts), and db.ts wires it in
 *   api         src/db.ts (+ db/, its layers), db-args.ts, open.ts, index.ts, react.ts   the public handle and entry points
 *
 * The schema folder spans two layers: table definitions sit at the bottom, schema changes run
 * over a node, above it (Mnesia's mnesia_schema is both).
 */
const layers = [
  ['util', '^src/(util/|errors\\.ts$)'],
  ['backend', '^src/backend/(?!file/)'],
  ['defs', '^src/schema/table-def\\.ts$'],
  ['storage', '^src/storage/'],
  ['backend-file', '^src/backend/file/'],
  ['catalog', '^src/schema/catalog\\.ts$'],
  ['log', '^src/log/'],
  ['events', '^src/events/'],
  ['node', '^src/(node\\.ts$|node/)'],
  ['schema-ops', '^src/schema/(ddl|info)\\.ts$'],
  ['query', '^src/query/'],
  ['txn', '^src/txn/'],
  ['replication', '^src/replication/'],
  ['primary', '^src/primary/'],
  ['app', '^src/(saga|eventstore|live|typed)/'],
  ['api', '^src/((db|db-args|open|index|react)\\.ts|db/)'],
]

const upward = layers.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} may not import a layer above it (${layers
    .slice(i + 1)
    .map(([n]) => n)
    .join(', ')}): see the order at the top of .dependency-cruiser.cjs`,
  severity: 'error',
  from: { path },
  to: {
    path: layers.slice(i + 1).map(([, p]) => `(${p})`).join('|'),
    // The application layer programs against the public API: its types it may use.
    ...(name === 'app' ? { dependencyTypesNot: ['type-only'] } : {}),
  },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles in src/ (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      // Cycles through the application layer's type-only imports of db.ts are how it stands on the
      // public API (see 'app' above); every other cycle is an error.
      to: { circular: true, viaNot: '^src/(saga|eventstore|live|typed)/' },
    },
    {
      name: 'every-module-in-a-layer',
      comment: 'A module of src/ outside every layer: add it to the list in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map(([, p]) => `(${p})`).join('|') },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
