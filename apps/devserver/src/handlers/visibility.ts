/**
 * ListWorkflowExecutions / CountWorkflowExecutions over the run store with the List Filter
 * language, plus search attribute registration (WorkflowService.GetSearchAttributes and
 * OperatorService Add/List/RemoveSearchAttributes).
 */
import { invalidArgument, notFound } from '../errors';
import { type temporal } from '../proto';
import { toNumber } from '../time';
import { executionInfo, executionStatusName, visibilityRecord } from '../state/visibility-records';
import type { Run } from '../state/run';
import type { WorkflowStore } from '../state/store';
import {
  DEFAULT_SEARCH_ATTRIBUTES,
  VisibilityQueryError,
  compileVisibilityQuery,
  indexedValueTypeFromName,
  nameFromIndexedValueType,
  toIndexedValueTypeMap,
  type CompiledVisibilityQuery,
  type VisibilityRecord,
} from '../visibility';
import type { HandlerTable, OpReq, Req } from './types';

function compile(
  query: string,
  registry: ReadonlyMap<string, import('../visibility').SearchAttributeType>,
): CompiledVisibilityQuery {
  try {
    return compileVisibilityQuery(query, registry);
  } catch (err) {
    if (err instanceof VisibilityQueryError) throw invalidArgument(err.message);
    throw err;
  }
}

/** Matching runs of a namespace, sorted by the query's ORDER BY. */
function select(
  store: WorkflowStore,
  namespace: string | null | undefined,
  query: string,
): { runs: Run[]; compiled: CompiledVisibilityQuery } {
  const ns = store.namespace(namespace);
  const compiled = compile(query, ns.searchAttributes);
  const matches: Array<{ run: Run; record: VisibilityRecord }> = [];
  for (const run of ns.runs.values()) {
    const record = visibilityRecord(run, ns.searchAttributes);
    if (compiled.matches(record)) matches.push({ run, record });
  }
  matches.sort((a, b) => compiled.compare(a.record, b.record));
  return { runs: matches.map((m) => m.run), compiled };
}

export function visibilityHandlers(store: WorkflowStore): HandlerTable {
  const list = async (req: Req<'ListWorkflowExecutionsRequest'>) => {
    const { runs } = select(store, req.namespace, req.query ?? '');
    const offset =
      req.nextPageToken && req.nextPageToken.length > 0
        ? Number(Buffer.from(req.nextPageToken).toString('utf8'))
        : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('Invalid NextPageToken.');
    const pageSize = toNumber(req.pageSize) > 0 ? Math.min(toNumber(req.pageSize), 1000) : 1000;
    const page = runs.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      executions: page.map(executionInfo),
      nextPageToken: next < runs.length ? Buffer.from(String(next), 'utf8') : null,
    };
  };

  const listSearchAttributes = (namespace: string | null | undefined) => {
    const ns = store.namespace(namespace);
    return {
      customAttributes: toIndexedValueTypeMap(ns.searchAttributes),
      systemAttributes: toIndexedValueTypeMap(DEFAULT_SEARCH_ATTRIBUTES.system),
      storageSchema: {},
    };
  };

  return {
    ListWorkflowExecutions: list,
    ScanWorkflowExecutions: list,

    async CountWorkflowExecutions(req: Req<'CountWorkflowExecutionsRequest'>) {
      const { runs, compiled } = select(store, req.namespace, req.query ?? '');
      if (compiled.groupBy.length === 0) return { count: runs.length, groups: [] };
      if (compiled.groupBy.length !== 1 || compiled.groupBy[0] !== 'ExecutionStatus') {
        throw invalidArgument('invalid query: GROUP BY is only supported for ExecutionStatus');
      }
      const counts = new Map<number, number>();
      for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
      const groups = [...counts.entries()].map(([status, count]) => ({
        groupValues: [
          {
            metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
            data: Buffer.from(JSON.stringify(executionStatusName(status))),
          },
        ],
        count,
      }));
      return { count: runs.length, groups };
    },

    async GetSearchAttributes() {
      const keys: Record<string, number> = {};
      for (const [name, type] of DEFAULT_SEARCH_ATTRIBUTES.system)
        keys[name] = indexedValueTypeFromName(type);
      for (const ns of store.namespaces.values())
        for (const [name, type] of ns.searchAttributes) keys[name] = indexedValueTypeFromName(type);
      return { keys };
    },

    async ListSearchAttributes(req: OpReq<'ListSearchAttributesRequest'>) {
      return listSearchAttributes(req.namespace);
    },

    async AddSearchAttributes(req: OpReq<'AddSearchAttributesRequest'>) {
      const ns = store.namespace(req.namespace);
      for (const [name, type] of Object.entries(req.searchAttributes ?? {})) {
        const typeName = nameFromIndexedValueType(type as temporal.api.enums.v1.IndexedValueType);
        if (!typeName) throw invalidArgument(`Unknown search attribute type ${String(type)} for ${name}.`);
        if (DEFAULT_SEARCH_ATTRIBUTES.system.has(name))
          throw invalidArgument(`Search attribute ${name} is reserved by the system.`);
        const existing = ns.searchAttributes.get(name);
        if (existing && existing !== typeName) {
          throw invalidArgument(`Search attribute ${name} already exists with type ${existing}.`);
        }
      }
      for (const [name, type] of Object.entries(req.searchAttributes ?? {})) {
        ns.searchAttributes.set(
          name,
          nameFromIndexedValueType(type as temporal.api.enums.v1.IndexedValueType)!,
        );
      }
      return {};
    },

    async RemoveSearchAttributes(req: OpReq<'RemoveSearchAttributesRequest'>) {
      const ns = store.namespace(req.namespace);
      for (const name of req.searchAttributes ?? []) {
        if (!ns.searchAttributes.has(name)) throw notFound(`Search attribute ${name} does not exist.`);
      }
      for (const name of req.searchAttributes ?? []) ns.searchAttributes.delete(name);
      return {};
    },
  };
}
