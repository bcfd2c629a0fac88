/**
 * The seam between the dev server's run store and its visibility query engine.
 * The engine is pure: it parses Temporal's "List Filter" language and evaluates it over records;
 * it never touches runs, gRPC or payload codecs itself.
 */

/** Types a custom search attribute may be registered with (Temporal's IndexedValueType names). */
export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** A decoded search attribute value; Datetime values are epoch milliseconds. */
export type SearchAttributeValue = string | number | boolean | string[] | null;

/** One workflow run as visibility sees it. Times are epoch milliseconds; `closeTimeMs` is absent while running. */
export interface VisibilityRecord {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  /** 'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'ContinuedAsNew' | 'TimedOut' */
  executionStatus: string;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs?: number;
  historyLength: number;
  /** Custom and system-set (e.g. TemporalScheduledById) search attributes, already decoded. */
  searchAttributes: Record<string, SearchAttributeValue>;
}

/** A compiled query: evaluate with `matches`, sort with `compare`. */
export interface CompiledVisibilityQuery {
  matches(record: VisibilityRecord): boolean;
  /** Orders records as the query's ORDER BY says (default StartTime DESC, then RunId). */
  compare(a: VisibilityRecord, b: VisibilityRecord): number;
  /** Non-empty when the query has `GROUP BY` (only `ExecutionStatus` is supported). */
  groupBy: string[];
}

/** Thrown for a query that does not parse or names an unknown attribute; message is operator-readable. */
export class VisibilityQueryError extends Error {
  override readonly name = 'VisibilityQueryError';
}

/** Registered custom search attributes, by name. */
export type SearchAttributeRegistry = ReadonlyMap<string, SearchAttributeType>;
