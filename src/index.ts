/**
 * webnesia: Mnesia's data model and transactions for the browser.
 *
 * @example
 * import { openDatabase } from 'webnesia'
 * const db = await openDatabase({ name: 'shop' })
 * await db.createTable('stock', { attributes: ['sku', 'count'] })
 * await db.transaction(async (t) => {
 *   const [s] = await t.read('stock', 'apple')
 *   await t.write('stock', { sku: 'apple', count: (s?.count as number ?? 0) + 1 })
 * })
 *
 * @packageDocumentation
 */
export { openDatabase } from './open.js'
export { Database } from './db.js'
export type { OpenOptions } from './open.js'
export type { ActivityFn } from './db.js'
export {
  WebnesiaError,
  TransactionAbortedError,
  NoSuchTableError,
  TableExistsError,
  BadRecordError,
  BadKeyError,
  BadMatchSpecError,
  StorageFullError,
  DatabaseClosedError,
  SagaFailedError,
  SagaAbortError,
  BadSagaError,
  WrongExpectedVersionError,
  TooManyAttemptsError,
} from './errors.js'
export type { ErrorCode } from './errors.js'
export type { TableOptions, TableType, StorageType, TableDef } from './schema/table-def.js'
export type { TableInfoItem, SystemInfoItem } from './schema/info.js'
export type { Key } from './storage/term.js'
export type { Transaction, Row, SelectChunk, LockItem, ReadLock, WriteLock } from './txn/transaction.js'
export type { TransactionOptions } from './txn/runner.js'
export type { ActivityKind } from './txn/access.js'
export type { SelectContinuation } from './query/executor.js'
export type { TableEvent, DetailedTableEvent, SystemEvent, SubscriptionSpec, Origin } from './events/subscriptions.js'
export { compareKeys } from './storage/term.js'
export type { JoinOptions } from './replication/session.js'
export type { ServerKind } from './replication/sync-server.js'
export type { ReplicatorOptions } from './replication/replicator.js'
export type { ReplicationControl as Replicator } from './db.js'
export type { FaultOptions } from './replication/faults.js'
export type { Pipe } from './replication/wire.js'
export type { RemoteChange, RemotePolicy } from './replication/remote-policy.js'
export type { Transport } from './replication/transport.js'
export { Saga } from './saga/saga.js'
export type { SagaInfo, SagaResult, StartOptions } from './saga/saga.js'
export type { SagaStep, SagaOptions, SagaContext, BackoffOptions } from './saga/definition.js'
export type { SagaStatus, SagaEvent, SagaEventKind, SagaFailure } from './saga/log.js'
export type { LiveQuery, LiveQueryObserver, Unsubscribe, InteropObservable } from './live/live-query.js'
export type {
  TableSchema,
  AnyTableSchema,
  DatabaseSchema,
  KeyAttributes,
  TableName,
  RecordOf,
  KeyOf,
  KeyAttributeOf,
  IndexAttributeOf,
  Pattern,
  PatternValue,
  PatternVariable,
  MatchSpec,
  MatchClause,
  Guard,
  SelectResult,
  BodyValue,
  TypedTableOptions,
  TypedTableEvent,
  TypedDetailedTableEvent,
  TableInfoValues,
  TableInfoValue,
} from './typed/schema.js'
export type { TypedDatabase, TypedTransaction, TypedActivityFn, TypedLockItem } from './typed/database.js'
export { EventStore } from './eventstore/api.js'
export type { NewEvent, RecordedEvent, ExpectedVersion, AppendOptions, AppendResult, ReadOptions } from './eventstore/store.js'
export type { SubscribeOptions, EventHandler } from './eventstore/subscription.js'
export { Aggregate } from './eventstore/api.js'
export type { AggregateDef, DispatchOptions, DispatchResult } from './eventstore/aggregate.js'
export { Projection } from './eventstore/api.js'
export type { ProjectionDef } from './eventstore/projection.js'
export { PrimaryUnavailableError } from './errors.js'
export type { ReadRouting } from './txn/route.js'
