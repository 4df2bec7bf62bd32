/** Text of BENCHMARKS.md that does not come from measurements (method, per-workload notes). */

export const METHOD = `- \`bench/run.mjs\` builds \`bench/pages/bench.html\` with Vite (production build, into \`.tmp/bench-dist\`), serves
  it with \`vite preview\` on 127.0.0.1 and a free port (cross-origin isolated, so \`performance.now()\` has 5 µs
  resolution), and drives Debian's headless Chromium with Playwright's \`launchPersistentContext\` on a profile
  under \`.tmp/\` (same switches as \`e2e/browser.ts\`). Every time is taken inside the page with
  \`performance.now()\`; Node only orchestrates.
- Page code: \`bench/pages/*.ts\`, importing the library from \`../../src/index.js\`, Dexie, idb and RxDB.
- RxDB: included, as information only (no targets), in P1 (\`findOne().exec()\`) and P4 (\`bulkUpsert\`):
  RxDB 17 with its free Dexie storage (\`rxdb/plugins/storage-dexie\`), installed and bundled without trouble.
  RxDB pins Dexie 4.4.2; the page is built with \`resolve.dedupe: ['dexie']\`, so RxDB runs on the project's
  Dexie (Dexie refuses to load twice in one page).
- Records are ~110-byte objects (JSON): id, name, email, age, score, a 2-string \`tags\` array, grp.
- Every workload runs one warm-up (same sizes, not reported), then the repetitions. Each repetition
  uses fresh databases with unique names, deleted afterwards, except three read-only data sets that
  are built once per run: P5 (the cold-load data; each repetition restarts the browser), P8 (the
  queries do not write) and MEM (each repetition loads it into a fresh tab).
- Contenders of one repetition run one after the other in an order rotated by repetition (P3–P5;
  P2 interleaves them in blocks),
  so none always runs first on a fresh backend or last after the others' clean-up.
- Raw IndexedDB baselines use the plain browser API (no idb wrapper).
- Durability: the library commits disc tables with \`durability: 'strict'\`; the raw IndexedDB
  baselines and Dexie (\`chromeTransactionDurability: 'strict'\`) do too, so every writer pays for
  the same fsync. RxDB's Dexie storage uses Chromium's default (relaxed) durability.
- "Cold" in P5 means a fresh browser process on the same profile; the OS page cache is warm.
- Ratio verdicts compare the median per-repetition ratio with the target. On a shared 2-core machine
  the spread (min–max) matters: a verdict near its threshold can flip between runs.`

export const NOTES = {
  P1: `\`lib.dirtyRead\`: \`await db.dirtyRead\` per key; \`lib.txnRead\`: one \`db.transaction\` doing every \`await t.read\` (time includes the transaction's start and its read-set validation). \`dexie.get\`: \`await table.get\` (one IDB read transaction each); \`dexie.getInTxn\`: the same inside one Dexie read transaction. \`map.get\`: a synchronous \`Map.get\` loop; \`map.awaitGet\`: \`await\` of each \`Map.get\` (the floor for any promise-returning read). Keys are uniform random.`,
  P2: 'Each figure: mean time per transaction over the sequence (each awaited before the next starts). The contenders run interleaved, `txns / blocks` transactions each per round in a rotated order, so they share the machine\'s background conditions; each keeps one database through the repetition. `raw.strict`: `db.transaction(store, "readwrite", {durability: "strict"})`, one put, await `complete`. `raw.likeLib`: raw IndexedDB doing what one library commit writes, without the library: in one strict transaction, `add` the log record holding the change under the next LSN (a disc_copies commit writes only the log; the dumper, src/log/dumper.ts, writes the table\'s store later, many commits at a time). lib.txn ÷ raw.likeLib is the library\'s JavaScript overhead; raw.likeLib ÷ raw.strict is the cost of the commit-log design. `lib.txnWithDump`: the same sequence timed until `db.dumpLog()` has written its records into the store too (the whole disc cost, which an application pays in the background).',
  P3: '`lib.concurrentTps`: bursts of 100 `db.transaction` calls started together and awaited with `Promise.all` (group commit). `raw.sequentialTps`: one strict put-and-commit at a time. `raw.burstLikeLibTps`: raw IndexedDB doing the library\'s disc writes for each burst (see P2). `lib.idbCommitsPerBurst`: readwrite IndexedDB transactions the library started per burst (1 = the whole burst went into one group commit). `raw.burstInOneTxTps`: the same bursts written as raw puts, one strict transaction per burst — the ceiling for a group commit that writes every record to its store at commit; the library writes one log record per burst instead and dumps the records later. `lib.concurrentWithDumpTps`: the bursts timed until `db.dumpLog()` has written every record into the store too.',
  P4: '`lib.txn`: one `db.transaction` doing 10k `await t.write` (time to the durable commit, including validation and the commit-log entry; the records reach the table\'s store in a dump after it). `dexie.bulkPut`: one call, strict. `raw.oneTx`: 10k `put` in one strict readwrite transaction (plain IndexedDB API, no wrapper). `rxdb.bulkUpsert`: RxDB 17 with its free Dexie storage (schema validation off).',
  P5: '`lib.openDatabase`: time of `openDatabase` right after a browser restart (loads every disc_copies table into memory). `raw.openAndGetAll`: `indexedDB.open` + `getAll` of the same records (plain API) after its own restart. Repetitions alternate which of the two goes first.',
  P6: 'Tab A commits one record per transaction; tab B subscribes and posts an ack on a BroadcastChannel for each event; A times commit start → ack received (`lib.rtt`). `lib.oneWay` is commit start → event in B on the shared clock (`performance.timeOrigin + now()`), a cross-check. `lib.commit.p50` is A\'s own commit latency. `bc.rtt`: a BroadcastChannel ping → echo between the same two tabs.',
  P8: 'dirtySelect with a match specification returning `$_`. `items` has `grp` indexed and `grp2` an unindexed copy; `ord` is an ordered_set keyed `[grp, id]` with `g` an unindexed copy of `grp`. Every pair of queries returns the same rows (checked).',
  P9: 'TPC-B at scale 1 with fewer accounts (1 branch, 10 tellers, accounts as listed): every transaction reads and writes the hot branch row, so concurrent transactions conflict and are run again (optimistic concurrency). `retryPct` = share of transaction-function runs that were conflict re-runs. Modes run one after another for `durationMs` each, each on a freshly filled node.',
  CHUNK: '`lib.chunkedGrowthBytes`: how much the heap grew between the first sample and the largest one (memory that grows with the walk; a walk holding O(n) stays flat). `lib.chunkedPeakBytes`: the largest heap growth (after GC, CDP) over the heap before the walk, sampled every 25 chunks while `dirtySelect(tab, spec, 100)` / `selectContinue` walk a disc_only_copies table (nothing of it in memory) to the end; the page keeps only the current continuation. `lib.wholeResultBytes`: heap held by the same results returned by one unchunked `dirtySelect`. A ratio far below 1 means the walk holds a few chunks, not the table.',
  REPL: '`lib.copy`: node A holds the table; a fresh node B in the same page joins it (an in-page pipe instead of WebRTC: the copy path without the network) and the time runs from `join` to B\'s `table_copied` event, i.e. every record committed to B\'s IndexedDB (commit log, strict; the dumper writes the table store after) and in its memory, with the document update persisted. `yjs.encodeApply`: `Y.encodeStateAsUpdate` of a doc holding the same records as webnesia\'s document does, plus `Y.applyUpdate` into a fresh doc (the CRDT alone, nothing durable). `yjsIdb.encodeApplyPut`: the same plus the records put into IndexedDB in one strict transaction (the least any durable copy pays).',
  MEM: 'Heap measured with CDP (`HeapProfiler.collectGarbage` ×2, then `Runtime.getHeapUsage().usedSize`) in a fresh tab, before and after `openDatabase` loads the table (handle kept open); `map.heapPerRecord` is the same for a `Map` of the same records as plain objects; `json.bytesPerRecord` is the UTF-8 JSON size.',
  LIVE: '`*.same` / `*.cross`: time from the commit call to the query\'s new value (sequential; the query reads record 0, each commit writes it), with the query in the committing handle, or in a second handle of the node in the same page (the library\'s cross-tab path: BroadcastChannel + the log). The library runs the first change after a quiet spell on the next task, and folds changes within 16 ms of its last run into one run at the end of that frame (coalescing: a burst costs about one run per frame), so its sequential latency includes that frame wait; Dexie re-runs on each `storagemutated` event and, with its optimistic cache, may show a write before it commits. `*.qN.msPerCommit`: ms per commit with N queries open (query j reads record j, commit i writes record i % N), timed until every query is current; q0 is the same commits with none open. `*.rerunsPer1000`: re-runs of a query on record 0 per 1,000 commits to other records (target 0).',
}

/**
 * Where the time goes, from `npm run bench -- --profile` (Vite dev server, CPU profiler at 100 µs,
 * first repetition). A snapshot: re-run `--profile` after changing src/.
 */
export const PROFILE = `Since this snapshot (the figures above are newer): a commit to disc_copies tables writes only the log
record; the dumper (src/log/dumper.ts) writes the table stores later, many commits at a time (P2, P3, P4 and REPL
changed most). Before that: P1 reads from memory no longer pass through
async functions and export single records without an extra array; P2/P3 commits no longer wait for
\`meta.lsn\` before writing (they speculate and check it last) and a group commit writes ONE log record
for the whole group instead of one per transaction (P3 reached 0.9× of raw puts in one transaction,
the ceiling); P5 freezes loaded records in place instead of copying them. What remains in P2 is the
commit-log design itself (record + log record + LSN, \`raw.likeLib\`) plus ~1.2× JavaScript.

Snapshot of \`npm run bench -- --profile\` on 2026-11-22 (src at 6a61ae4), self time of the measured section only:

- **P1 dirtyRead** (~0.5–1 µs per read, Map.get ~0.04 µs): three nested async functions per read
  (\`Transaction.read\` → \`Access.read\` → \`Access.committed\`) ≈ 40%; \`exportRecord\`/\`exportRecords\`
  (a WeakSet lookup and a new array per read) ≈ 22%; GC ≈ 10%; \`db.dirtyRead\`/\`guard\` ≈ 5%. The hash
  lookup itself (\`key-store get\`) is under 2%. t.read in a transaction: the same, plus \`stillValid\` at the end.
- **P2** sequential 1-record transactions: ~63% idle, waiting for IndexedDB. The commit reads \`meta.lsn\` inside
  its transaction and waits for it before writing (catch-up), then writes record + log entry + LSN; see
  \`raw.likeLib\`. CPU: BroadcastChannel \`postMessage\` (the per-commit announce) ~5%, IndexedDB calls.
- **P3** group commit: one IndexedDB transaction per burst of 100 (\`lib.idbCommitsPerBurst\` = 1). ~58% idle
  (the IndexedDB backend writing 100 records + 100 log entries), \`put\` (structured clone) 13%, idb's promise
  wrappers ~5%.
- **P4** 10k writes: \`put\` 28%, idb's per-request promise wrapping (\`promisifyRequest\`, add/removeEventListener)
  ~14%, idle 31%; the library's own code under 5%.
- **P5** cold load: ~52% idle (backend reading), ~18% deserializing the \`getAll\` result, ~9% \`adoptRecord\`
  deep-copying and freezing every loaded record, ~8% GC.
- **P9** TPC-B: ~62% idle. Every transaction writes the single branch row, so commits serialize on it; with 10
  clients about half the transaction runs are conflict re-runs (see \`retryPct\`).`
