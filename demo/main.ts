/**
 * The demo: a tiny shop on webnesia's public API. Open it in two tabs, or in two browsers (they
 * meet over WebRTC through the signaling server `npm run demo` starts): products, stock, orders,
 * tags and the counter stay in sync, each change flashing with its origin (this tab / another tab
 * / a peer).
 */
import { openDatabase, TableExistsError, type KeyOf, type Origin, type RecordOf, type TypedTableEvent } from '../src/index.js'
import { startNetwork } from './network.js'
import { registerPwa } from './pwa.js'
import type { Product, Shop, ShopDb } from './schema.js'
import { mountLedger } from './ledger.js'
import { mountSagaPanel } from './saga-panel.js'
import type { Database } from '../src/index.js'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

const EXAMPLES: [string, unknown][] = [
  ['All products (the record)', [[{ sku: '_' }, [], ['$_']]]],
  ['Names of fruit', [[{ name: '$1', category: 'fruit' }, [], ['$1']]]],
  ['SKU and price under 2', [[{ sku: '$1', price: '$2' }, [['<', '$2', 2]], [['$1', '$2']]]]],
  ['Price between 1 and 5 (andalso)', [[{ sku: '$1', price: '$2' }, [['andalso', ['>=', '$2', 1], ['=<', '$2', 5]]], [{ sku: '$1', price: '$2' }]]]],
]

async function ensureTables(db: ShopDb): Promise<void> {
  const create = async (made: Promise<void>): Promise<void> => {
    try {
      await made
    } catch (e) {
      if (!(e instanceof TableExistsError)) throw e
    }
  }
  await create(db.createTable('product', { attributes: ['sku', 'name', 'category', 'price'], index: ['category'] }))
  await create(db.createTable('stock', { attributes: ['sku', 'count'] }))
  await create(db.createTable('order', { attributes: ['id', 'sku', 'qty', 'at'], type: 'ordered_set', storage: 'disc_only_copies' }))
  await create(db.createTable('counter', { attributes: ['name', 'value'], storage: 'ram_copies' }))
  await create(db.createTable('tag', { attributes: ['sku', 'tag'], type: 'bag' }))
  if ((await db.dirtyAllKeys('product')).length === 0) {
    await db.transaction(async (t) => {
      const seed: Product[] = [
        { sku: 'apple', name: 'Green apple', category: 'fruit', price: 0.5 },
        { sku: 'pear', name: 'Conference pear', category: 'fruit', price: 0.7 },
        { sku: 'tea', name: 'Sencha tea', category: 'drinks', price: 4.2 },
      ]
      for (const p of seed) {
        if ((await t.read('product', p.sku)).length > 0) continue
        await t.write('product', p)
        await t.write('stock', { sku: p.sku, count: 20 })
      }
    })
  }
}

function flash(el: Element | null, origin: Origin): void {
  if (!el) return
  el.classList.remove('flash-local', 'flash-tab', 'flash-peer')
  void (el as HTMLElement).offsetWidth
  el.classList.add(`flash-${origin}`)
}

function logEvent(text: string, origin: Origin | 'system' | 'warn'): void {
  const li = document.createElement('li')
  const tag = document.createElement('span')
  tag.className = `origin ${origin}`
  tag.textContent = origin === 'local' ? 'this tab' : origin === 'tab' ? 'other tab' : origin
  li.append(tag, ' ', text)
  const log = $('log')
  log.prepend(li)
  while (log.children.length > 200) log.lastElementChild?.remove()
}

type ShopEvent = TypedTableEvent<keyof Shop, unknown, unknown>

function describe(ev: ShopEvent): string {
  switch (ev.type) {
    case 'write':
      return `${ev.table}: write ${JSON.stringify(ev.record)}`
    case 'delete':
      return `${ev.table}: delete ${JSON.stringify(ev.key)}`
    case 'delete_object':
      return `${ev.table}: delete_object ${JSON.stringify(ev.record)}`
    case 'clear':
      return `${ev.table}: cleared`
  }
}

/** One row of the products view: a product and its stock. */
interface ProductRow {
  product: Product
  count: number
}

/** The products view: a live query over product and stock (re-run only when they change). */
function productRows(db: ShopDb): void {
  db.liveQuery(async (t) => {
    const products = (await t.matchObject('product', {})).sort((a, b) => a.sku.localeCompare(b.sku))
    const rows: ProductRow[] = []
    for (const product of products) rows.push({ product, count: (await t.read('stock', product.sku))[0]?.count ?? 0 })
    return rows
  }).subscribe((rows) => $('products').replaceChildren(...rows.map((r) => productRow(db, r))), (e) => logEvent(`products: ${String(e)}`, 'warn'))
}

function productRow(db: ShopDb, { product: p, count }: ProductRow): HTMLTableRowElement {
  const tr = document.createElement('tr')
  tr.dataset['sku'] = p.sku
  const cells = [p.sku, p.name, p.category, p.price.toFixed(2), String(count)]
  cells.forEach((c, i) => {
    const td = document.createElement('td')
    td.textContent = c
    if (i >= 3) td.className = 'num'
    tr.append(td)
  })
  const actions = document.createElement('td')
  const order = document.createElement('button')
  order.textContent = 'Order'
  order.setAttribute('aria-label', `Order one ${p.name}`)
  order.addEventListener('click', () => void placeOrder(db, p.sku))
  const restock = document.createElement('button')
  restock.className = 'ghost'
  restock.textContent = '+10'
  restock.setAttribute('aria-label', `Restock ${p.name} by 10`)
  // A transaction, not a dirty update: when stock is a primary table, the primary commits it.
  restock.addEventListener('click', () => void db.transaction((t) => t.updateCounter('stock', p.sku, 10)).catch((e: unknown) => logEvent(`restock: ${(e as Error).message}`, 'warn')))
  const del = document.createElement('button')
  del.className = 'ghost'
  del.textContent = 'Delete'
  del.setAttribute('aria-label', `Delete ${p.name}`)
  del.addEventListener('click', () => {
    // Two transactions: stock may be a primary table, product is not (one transaction may not write both).
    void db
      .transaction((t) => t.delete('stock', p.sku))
      .then(() => db.transaction((t) => t.delete('product', p.sku)))
      .catch((e: unknown) => logEvent(`delete: ${(e as Error).message}`, 'warn'))
  })
  actions.append(order, ' ', restock, ' ', del)
  tr.append(actions)
  return tr
}

/** The orders view: a live query over the order table (disc_only_copies). */
function ordersView(db: ShopDb): void {
  db.liveQuery((t) => t.select('order', [[{ id: '_' }, [], ['$_']]])).subscribe(
    (recent) => {
      $('order-count').textContent = String(recent.length)
      $('sold').textContent = String(recent.reduce((n, o) => n + o.qty, 0))
      const items = recent
        .slice(-30)
        .reverse()
        .map((o) => {
          const li = document.createElement('li')
          li.textContent = `${o.sku} × ${String(o.qty)} at ${new Date(o.at).toLocaleTimeString()}`
          return li
        })
      $('orders').replaceChildren(...items)
    },
    (e) => logEvent(`orders: ${String(e)}`, 'warn'),
  )
}

async function placeOrder(db: ShopDb, sku: string): Promise<void> {
  try {
    await db.transaction(async (t) => {
      const [s] = await t.read('stock', sku, 'write')
      const count = s?.count ?? 0
      if (count < 1) t.abort('out of stock')
      await t.write('stock', { sku, count: count - 1 })
      await t.write('order', { id: [Date.now(), crypto.randomUUID()], sku, qty: 1, at: Date.now() })
    })
  } catch (e) {
    logEvent(`order of ${sku} aborted: ${(e as Error).message}`, 'local')
  }
}

/** The tags view: a live query over the tag bag. */
function tagsView(db: ShopDb): void {
  db.liveQuery((t) => t.matchObject('tag', {})).subscribe(
    (tags) => {
      const bySku = new Map<string, string[]>()
      for (const t of tags) bySku.set(t.sku, [...(bySku.get(t.sku) ?? []), t.tag])
      const items = [...bySku].sort(([a], [b]) => a.localeCompare(b)).map(([sku, ts]) => {
        const li = document.createElement('li')
        li.dataset['sku'] = sku
        const b = document.createElement('strong')
        b.textContent = sku
        li.append(b, ': ')
        for (const t of ts) {
          const chip = document.createElement('button')
          chip.className = 'chip'
          chip.textContent = `${t} ×`
          chip.setAttribute('aria-label', `Remove tag ${t} from ${sku}`)
          chip.addEventListener('click', () => void db.dirtyDeleteObject('tag', { sku, tag: t }))
          li.append(chip, ' ')
        }
        return li
      })
      $('tags').replaceChildren(...items)
    },
    (e) => logEvent(`tags: ${String(e)}`, 'warn'),
  )
}

/** The counter view: a live query of one key. */
function counterView(db: ShopDb): void {
  db.liveQuery(async (t) => (await t.read('counter', 'clicks'))[0]?.value ?? 0).subscribe(
    (n) => {
      $('counter').textContent = String(n)
    },
    (e) => logEvent(`counter: ${String(e)}`, 'warn'),
  )
}

/**
 * Logs a table's events and flashes its view with their origin; again whenever the table is
 * created anew (a subscription ends with its table: a node joining a cluster that created the
 * same table takes the cluster's). The views themselves are live queries.
 */
function watch<T extends keyof Shop>(db: ShopDb, table: T, view: string, log = true): void {
  const fn = (ev: TypedTableEvent<T, RecordOf<Shop, T>, KeyOf<Shop, T>>): void => {
    if (log) logEvent(describe(ev), ev.origin)
    flash($(view), ev.origin)
  }
  let off = db.subscribe({ table }, fn)
  db.subscribe('system', (ev) => {
    if (ev.type === 'table_created' && ev.table === table) {
      off()
      off = db.subscribe({ table }, fn)
    }
  })
}

async function main(): Promise<void> {
  registerPwa()
  const db = await openDatabase<Shop>({ name: 'webnesia-demo' })
  await ensureTables(db)
  $('node-id').textContent = db.node
  $('tab-id').textContent = crypto.randomUUID().slice(0, 8)
  $('status').textContent = 'running'

  productRows(db)
  ordersView(db)
  tagsView(db)
  counterView(db)
  watch(db, 'product', 'products')
  watch(db, 'stock', 'products')
  watch(db, 'order', 'orders')
  watch(db, 'counter', 'counter', false)
  watch(db, 'tag', 'tags')
  db.subscribe('system', (ev) => {
    if (ev.type === 'copy_progress' || ev.type === 'schema_replicated') return
    logEvent(JSON.stringify(ev), 'system')
  })
  $('tag-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const f = new FormData(e.target as HTMLFormElement)
    const sku = (f.get('sku') as string).trim()
    const tag = (f.get('tag') as string).trim()
    if (sku && tag) void db.dirtyWrite('tag', { sku, tag })
  })

  $('product-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const f = new FormData(e.target as HTMLFormElement)
    const p: Product = {
      sku: (f.get('sku') as string).trim(),
      name: (f.get('name') as string).trim(),
      category: ((f.get('category') as string | null) ?? '').trim(),
      price: Number(f.get('price')),
    }
    void db
      .transaction((t) => t.write('product', p))
      .then(() =>
        db.transaction(async (t) => {
          if ((await t.read('stock', p.sku)).length === 0) await t.write('stock', { sku: p.sku, count: 0 })
        }),
      )
      .then(
        () => (e.target as HTMLFormElement).reset(),
        (err: unknown) => logEvent(`save: ${(err as Error).message}`, 'warn'),
      )
  })
  $('inc').addEventListener('click', () => void db.dirtyUpdateCounter('counter', 'clicks', 1))
  $('inc100').addEventListener('click', () => {
    for (let i = 0; i < 100; i++) void db.dirtyUpdateCounter('counter', 'clicks', 1)
  })
  $('reset').addEventListener('click', () => void db.dirtyWrite('counter', { name: 'clicks', value: 0 }))

  const examples = $<HTMLSelectElement>('examples')
  for (const [label] of EXAMPLES) examples.append(new Option(label))
  const spec = $<HTMLTextAreaElement>('spec')
  const showExample = (): void => {
    spec.value = JSON.stringify(EXAMPLES[examples.selectedIndex]?.[1] ?? [])
  }
  examples.addEventListener('change', showExample)
  showExample()
  $('run-select').addEventListener('click', () => {
    void (async () => {
      try {
        const out = await db.dirtySelect('product', JSON.parse(spec.value))
        $('select-out').textContent = JSON.stringify(out, null, 2)
      } catch (e) {
        $('select-out').textContent = `${(e as Error).name}: ${(e as Error).message}`
      }
    })()
  })

  // The ledger's tables (the event store's and its projection's) are not in the Shop schema: it
  // works on the untyped view of the same handle.
  mountLedger(db as unknown as Database, (text, kind) => logEvent(text, kind))
  mountSagaPanel(db as unknown as Database, (text, kind) => logEvent(text, kind))
  await startNetwork(db, (text, kind) => logEvent(text, kind))
}

main().catch((e: unknown) => {
  $('status').textContent = `error: ${(e as Error).message}`
  console.error(e)
})
