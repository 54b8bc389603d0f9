/**
 * usePaginatedQuery, with the behaviour of convex/react's: a paginated
 * query loaded page by page, over {@link useQueries}.
 *
 * @module
 */
import { useMemo, useState } from "react";
import { convexToJson, type Value } from "convex/values";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import { functionName, type FunctionLike, type OptimisticLocalStore } from "./client.js";
import { requireClient, useQueries, type RequestForQueries } from "./react.js";

/** Where a {@link usePaginatedQuery} list stands. */
export type PaginationStatus = "LoadingFirstPage" | "CanLoadMore" | "LoadingMore" | "Exhausted";

/** What {@link usePaginatedQuery} returns. */
export type UsePaginatedQueryResult<Item> = {
  /** The items of every loaded page, in order. */
  results: Item[];
  /** Asks for numItems more items; does nothing unless status is "CanLoadMore". */
  loadMore: (numItems: number) => void;
} & (
  | { status: "LoadingFirstPage"; isLoading: true }
  | { status: "CanLoadMore"; isLoading: false }
  | { status: "LoadingMore"; isLoading: true }
  | { status: "Exhausted"; isLoading: false }
);

type PaginatedArgs<Q> = Q extends FunctionReference<"query"> ? Omit<FunctionArgs<Q>, "paginationOpts"> : Record<string, Value>;
type PaginatedItem<Q> = Q extends FunctionReference<"query"> ? (FunctionReturnType<Q> extends { page: Array<infer I> } ? I : any) : any;

interface PageResult {
  page: Value[];
  isDone: boolean;
  continueCursor: string;
  splitCursor?: string | null;
  pageStatus?: "SplitRecommended" | "SplitRequired" | null;
}

interface PageRequest {
  numItems: number;
  cursor: string | null;
  endCursor?: string;
}

/** The pages a usePaginatedQuery list asks for. */
interface Pagination {
  name: string;
  argsKey: string;
  skip: boolean;
  /** Goes into every page's paginationOpts.id: each list gets its own subscriptions and journals. */
  id: number;
  nextKey: number;
  /** Page keys in list order. */
  order: number[];
  requests: Record<number, PageRequest>;
  /** A page being split, with the keys of its two halves. */
  splitting: Record<number, [number, number]>;
}

let lastPaginationId = 0;

function startPagination(name: string, argsKey: string, skip: boolean, initialNumItems: number): Pagination {
  return {
    name,
    argsKey,
    skip,
    id: ++lastPaginationId,
    nextKey: 1,
    order: skip ? [] : [0],
    requests: skip ? {} : { 0: { numItems: initialNumItems, cursor: null } },
    splitting: {},
  };
}

function splitPage(key: number, splitCursor: string, endCursor: string) {
  return (p: Pagination): Pagination => {
    const page = p.requests[key];
    if (page === undefined || p.splitting[key] !== undefined) return p;
    const first = p.nextKey;
    const second = p.nextKey + 1;
    return {
      ...p,
      nextKey: p.nextKey + 2,
      requests: {
        ...p.requests,
        [first]: { numItems: page.numItems, cursor: page.cursor, endCursor: splitCursor },
        [second]: { numItems: page.numItems, cursor: splitCursor, endCursor },
      },
      splitting: { ...p.splitting, [key]: [first, second] },
    };
  };
}

function finishSplit(key: number) {
  return (p: Pagination): Pagination => {
    const halves = p.splitting[key];
    if (halves === undefined) return p;
    const { [key]: _page, ...requests } = p.requests;
    const { [key]: _split, ...splitting } = p.splitting;
    return { ...p, requests, splitting, order: p.order.flatMap((k) => (k === key ? halves : [k])) };
  };
}

/**
 * Loads a paginated query page by page into one growing list, as
 * convex/react's usePaginatedQuery does: the query must take a
 * paginationOpts argument (which the hook adds) and return a
 * PaginationResult. Every loaded page stays reactive; a page that grows past
 * twice initialNumItems is split in two; an InvalidCursor error restarts
 * from the first page, any other error is thrown to the error boundary. New
 * query or arguments (or "skip") start a new list.
 */
export function usePaginatedQuery<Q extends FunctionLike<"query">>(
  query: Q,
  args: PaginatedArgs<Q> | "skip",
  options: { initialNumItems: number },
): UsePaginatedQueryResult<PaginatedItem<Q>> {
  const initialNumItems = options?.initialNumItems;
  if (typeof initialNumItems !== "number" || initialNumItems < 0) {
    throw new Error(`\`options.initialNumItems\` must be a positive number. Received \`${initialNumItems}\`.`);
  }
  requireClient("usePaginatedQuery");
  const skip = args === "skip";
  const argsObject = (skip ? {} : args) as Record<string, Value>;
  const name = functionName(query);
  const argsKey = JSON.stringify(convexToJson(argsObject));
  const [stored, setPagination] = useState(() => startPagination(name, argsKey, skip, initialNumItems));
  let pagination = stored;
  if (stored.name !== name || stored.argsKey !== argsKey || stored.skip !== skip) {
    pagination = startPagination(name, argsKey, skip, initialNumItems);
    setPagination(pagination);
  }

  const request: RequestForQueries = {};
  for (const [key, page] of Object.entries(pagination.requests)) {
    request[key] = { query: name, args: { ...argsObject, paginationOpts: { ...page, id: pagination.id } } };
  }
  const pages = useQueries(request);

  const [results, last] = useMemo((): [Value[], PageResult | undefined] => {
    const items: Value[] = [];
    let result: PageResult | undefined;
    for (const key of pagination.order) {
      const r = pages[key] as PageResult | Error | undefined;
      if (r === undefined) {
        return [items, undefined];
      }
      if (r instanceof Error) {
        if (r.message.includes("InvalidCursor")) {
          console.warn(`usePaginatedQuery hit error, resetting pagination state: ${r.message}`);
          setPagination(startPagination(name, argsKey, skip, initialNumItems));
          return [[], undefined];
        }
        throw r;
      }
      result = r;
      const halves = pagination.splitting[key];
      if (halves !== undefined) {
        if (pages[halves[0]] !== undefined && pages[halves[1]] !== undefined) {
          setPagination(finishSplit(key));
        }
      } else if (
        r.splitCursor &&
        (r.pageStatus === "SplitRecommended" || r.pageStatus === "SplitRequired" || r.page.length > initialNumItems * 2)
      ) {
        setPagination(splitPage(key, r.splitCursor, r.continueCursor));
      }
      if (r.pageStatus === "SplitRequired") {
        return [items, undefined];
      }
      items.push(...r.page);
    }
    return [items, result];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pages, pagination.order, pagination.splitting, initialNumItems]);

  const status = useMemo(() => {
    const idle = (_numItems: number) => {};
    if (last === undefined) {
      return pagination.nextKey === 1
        ? ({ status: "LoadingFirstPage", isLoading: true, loadMore: idle } as const)
        : ({ status: "LoadingMore", isLoading: true, loadMore: idle } as const);
    }
    if (last.isDone) {
      return { status: "Exhausted", isLoading: false, loadMore: idle } as const;
    }
    let asked = false;
    const cursor = last.continueCursor;
    const loadMore = (numItems: number) => {
      if (asked) return;
      asked = true;
      setPagination((p) => ({
        ...p,
        nextKey: p.nextKey + 1,
        order: [...p.order, p.nextKey],
        requests: { ...p.requests, [p.nextKey]: { numItems, cursor } },
      }));
    };
    return { status: "CanLoadMore", isLoading: false, loadMore } as const;
  }, [last, pagination.nextKey]);

  return { results: results as PaginatedItem<Q>[], ...status };
}

/**
 * In an optimistic update, applies updateValue to every loaded item of the
 * paginated query with these arguments (paginationOpts aside), as
 * convex/react's optimisticallyUpdateValueInPaginatedQuery does.
 */
export function optimisticallyUpdateValueInPaginatedQuery<Q extends FunctionLike<"query">>(
  localStore: OptimisticLocalStore,
  query: Q,
  args: PaginatedArgs<Q>,
  updateValue: (current: PaginatedItem<Q>) => PaginatedItem<Q>,
): void {
  const want = JSON.stringify(convexToJson(args as Value));
  for (const q of localStore.getAllQueries(query)) {
    const value = q.value as PageResult | undefined;
    if (value === undefined) continue;
    const { paginationOpts: _opts, ...rest } = q.args as Record<string, Value>;
    if (JSON.stringify(convexToJson(rest)) !== want) continue;
    localStore.setQuery(query, q.args, { ...value, page: value.page.map((v) => updateValue(v as PaginatedItem<Q>)) } as any);
  }
}
