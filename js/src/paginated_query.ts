/**
 * usePaginatedQuery: a paginated query read page by page into one list,
 * with the names and observable behaviour of convex/react's hook.
 *
 * The list is a row of page descriptors (where a page starts, where it
 * ends once known, how many items it asked for). Each descriptor is one
 * subscription through {@link useQueries}; everything the hook returns is
 * derived from the descriptors and the subscriptions' latest results.
 *
 * @module
 */
import { useCallback, useState } from "react";
import { compareValues, convexToJson, type Value } from "convex/values";
import type { FunctionArgs, FunctionReference, FunctionReturnType, PaginationOptions, PaginationResult } from "convex/server";
import { functionName, type AnyFunctionReference, type FunctionLike, type OptimisticLocalStore } from "./client.js";
import { useQueries, type RequestForQueries } from "./react.js";

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

type PaginatedArgs<Q> = Q extends AnyFunctionReference<"query"> ? Omit<FunctionArgs<Q>, "paginationOpts"> : Record<string, Value>;
type PaginatedItem<Q> = Q extends AnyFunctionReference<"query"> ? (FunctionReturnType<Q> extends { page: Array<infer I> } ? I : any) : any;

/**
 * A query {@link usePaginatedQuery} can load, as convex/react's: public,
 * taking paginationOpts, returning a PaginationResult.
 */
export type PaginatedQueryReference = FunctionReference<
  "query",
  "public",
  { paginationOpts: PaginationOptions },
  PaginationResult<any>
>;

/** A paginated query's arguments without paginationOpts (convex/react's PaginatedQueryArgs). */
export type PaginatedQueryArgs<Query extends PaginatedQueryReference> = {
  [K in keyof FunctionArgs<Query> as K extends "paginationOpts" ? never : K]: FunctionArgs<Query>[K];
};

/** The type of a paginated query's items (convex/react's PaginatedQueryItem). */
export type PaginatedQueryItem<Query extends PaginatedQueryReference> = FunctionReturnType<Query>["page"][number];

/** What usePaginatedQuery returns for Query (convex/react's UsePaginatedQueryReturnType). */
export type UsePaginatedQueryReturnType<Query extends PaginatedQueryReference> = UsePaginatedQueryResult<PaginatedQueryItem<Query>>;

/** A page as the hook asks for it. */
interface Page {
  /** Names the page's subscription among the hook's; never reused. */
  id: number;
  /** Where the page starts (null: the beginning of the query). */
  from: string | null;
  /** Where the page ends; unset for a page whose end the server picks. */
  to?: string;
  /** How many items the page asked for when it was added. */
  size: number;
  /** While set, the page is being replaced by these two (see planSplit). */
  halves?: [Page, Page];
}

/** One list: the pages loaded for one query and arguments. */
interface List {
  /** The query and arguments (or "skip") the pages belong to. */
  of: string;
  pages: Page[];
  /** The next page id. */
  nextId: number;
  /** Counts loadMore calls that added a page, so a stale call is told apart. */
  grown: number;
}

/** A page's result as a paginated query returns it (convex/server's PaginationResult). */
interface PageResult {
  page: Value[];
  isDone: boolean;
  continueCursor: string;
  splitCursor?: string | null;
  pageStatus?: string | null;
}

/** What useQueries holds for one page: nothing yet, a failure, or a result. */
type Outcome = PageResult | Error | undefined;

function newList(of: string, nextId: number, size: number): List {
  return { of, pages: [{ id: nextId, from: null, size }], nextId: nextId + 1, grown: 0 };
}

function loaded(o: Outcome): o is PageResult {
  return o !== undefined && !(o instanceof Error);
}

/**
 * Whether a loaded page should give way to two: the server must name a
 * place to cut (splitCursor), and either ask for the cut or the page must
 * hold more than twice the items it asked for.
 */
function wantsSplit(p: Page, r: PageResult): r is PageResult & { splitCursor: string } {
  if (typeof r.splitCursor !== "string") {
    return false;
  }
  return r.pageStatus === "SplitRecommended" || r.pageStatus === "SplitRequired" || r.page.length > 2 * p.size;
}

/**
 * Moves a list one step on from what its subscriptions report: a cursor
 * the server no longer accepts starts the list over; a page whose halves
 * have both loaded is swapped for them; a page that wants a split gets its
 * halves subscribed (it stays in the list, and in the results, until they
 * load, so the items never blink). Returns list itself when nothing moves.
 */
function advance(list: List, outcome: (id: number) => Outcome): List {
  const all = list.pages.flatMap((p) => [p, ...(p.halves ?? [])]);
  // (A list's own first page has no cursor to reject: its failure is thrown.)
  if (all.some((p) => (p.from !== null || p.to !== undefined) && isInvalidCursor(outcome(p.id)))) {
    const first = list.pages[0];
    return newList(list.of, list.nextId, first ? first.size : 1);
  }
  let nextId = list.nextId;
  let moved = false;
  const pages: Page[] = [];
  for (const p of list.pages) {
    if (p.halves) {
      const [a, b] = p.halves;
      if (loaded(outcome(a.id)) && loaded(outcome(b.id))) {
        pages.push(a, b);
        moved = true;
      } else {
        pages.push(p);
      }
      continue;
    }
    const r = outcome(p.id);
    if (loaded(r) && wantsSplit(p, r)) {
      const a: Page = { id: nextId, from: p.from, to: r.splitCursor, size: p.size };
      const b: Page = { id: nextId + 1, from: r.splitCursor, to: r.continueCursor, size: p.size };
      nextId += 2;
      pages.push({ ...p, halves: [a, b] });
      moved = true;
      continue;
    }
    pages.push(p);
  }
  return moved ? { ...list, pages, nextId } : list;
}

function isInvalidCursor(o: Outcome): boolean {
  return o instanceof Error && o.message.includes("InvalidCursor");
}

/** The subscriptions a list needs: each page, and the halves of a page being split. */
function requestsOf(list: List, name: string, args: Record<string, Value>): RequestForQueries {
  const out: RequestForQueries = {};
  const add = (p: Page) => {
    const paginationOpts: Record<string, Value> = { numItems: p.size, cursor: p.from };
    if (p.to !== undefined) paginationOpts.endCursor = p.to;
    out[String(p.id)] = { query: name, args: { ...args, paginationOpts } };
  };
  for (const p of list.pages) {
    add(p);
    p.halves?.forEach(add);
  }
  return out;
}

/**
 * Loads a paginated query page by page into one growing list. The query
 * takes a paginationOpts argument, which the hook adds to args, and returns
 * a PaginationResult.
 *
 * The first page asks for options.initialNumItems items; loadMore(n) adds
 * a page of n items after the last one, when status is "CanLoadMore". Every
 * loaded page stays live. A page that the server asks to split, or that
 * grew past twice its size, is replaced by two without the results
 * changing meanwhile. A cursor the server rejects as InvalidCursor starts
 * over from the first page; any other failure is thrown to the nearest
 * error boundary. A new query or new arguments start a new list; "skip"
 * subscribes to nothing.
 */
export function usePaginatedQuery<Q extends FunctionLike<"query">>(
  query: Q,
  args: PaginatedArgs<Q> | "skip",
  options: { initialNumItems: number },
): UsePaginatedQueryResult<PaginatedItem<Q>> {
  const size = options?.initialNumItems;
  if (typeof size !== "number" || !(size > 0)) {
    throw new Error(`\`options.initialNumItems\` must be a positive number. Received \`${String(size)}\`.`);
  }
  const name = functionName(query);
  const skip = args === "skip";
  const userArgs = (skip ? {} : args) as Record<string, Value>;
  const of = skip ? "skip" : JSON.stringify([name, convexToJson(userArgs)]);

  const [kept, setKept] = useState<List>(() => newList(of, 0, size));
  let list = kept;
  if (list.of !== of) {
    // New query or arguments: a new list, from this very render on.
    list = newList(of, kept.nextId, size);
    setKept(list);
  }

  const outcomes = useQueries(skip ? {} : requestsOf(list, name, userArgs)) as Record<string, Outcome>;
  const outcome = (id: number): Outcome => outcomes[String(id)];
  if (!skip) {
    const next = advance(list, outcome);
    if (next !== list) {
      // React renders again at once with next, before anything is shown.
      setKept(next);
      list = next;
    }
  }

  // Read the pages in order, up to the first one still loading.
  const results: Value[] = [];
  let status: PaginationStatus = "LoadingFirstPage";
  let lastCursor: string | undefined;
  if (!skip) {
    for (let i = 0; i < list.pages.length; i++) {
      const p = list.pages[i]!;
      const r = outcome(p.id);
      for (const failed of [r, ...(p.halves ?? []).map((h) => outcome(h.id))]) {
        if (failed instanceof Error) throw failed;
      }
      if (r instanceof Error) throw r; // (for the type checker: thrown above)
      if (r === undefined) {
        status = i === 0 ? "LoadingFirstPage" : "LoadingMore";
        break;
      }
      results.push(...r.page);
      status = r.isDone ? "Exhausted" : "CanLoadMore";
      lastCursor = r.continueCursor;
    }
  }

  const grown = list.grown;
  const canLoadMore = status === "CanLoadMore";
  const loadMore = useCallback(
    (numItems: number) => {
      if (!canLoadMore || lastCursor === undefined) {
        return;
      }
      setKept((l) => {
        // Another loadMore (or a new list) came first: this one is stale.
        if (l.of !== of || l.grown !== grown) {
          return l;
        }
        return { ...l, pages: [...l.pages, { id: l.nextId, from: lastCursor, size: numItems }], nextId: l.nextId + 1, grown: l.grown + 1 };
      });
    },
    [canLoadMore, lastCursor, of, grown],
  );

  const isLoading = status === "LoadingFirstPage" || status === "LoadingMore";
  return { results: results as PaginatedItem<Q>[], status, isLoading, loadMore } as UsePaginatedQueryResult<PaginatedItem<Q>>;
}

/**
 * For an optimistic update: runs updateValue over every loaded item of the
 * paginated query called with args (its paginationOpts aside), in every
 * page this client holds, and sets the pages to the returned items.
 */
export function optimisticallyUpdateValueInPaginatedQuery<Q extends FunctionLike<"query">>(
  localStore: OptimisticLocalStore,
  query: Q,
  args: PaginatedArgs<Q>,
  updateValue: (current: PaginatedItem<Q>) => PaginatedItem<Q>,
): void {
  const key = (a: Record<string, Value>) => {
    const { paginationOpts: _ignored, ...rest } = a;
    return JSON.stringify(convexToJson(rest));
  };
  const wanted = key(args as Record<string, Value>);
  for (const { args: pageArgs, value } of localStore.getAllQueries(query as string)) {
    const current = value as PageResult | undefined;
    if (current === undefined || key(pageArgs as Record<string, Value>) !== wanted) {
      continue;
    }
    localStore.setQuery(query as string, pageArgs, { ...current, page: current.page.map((item) => updateValue(item as PaginatedItem<Q>)) } as any);
  }
}

// ---- inserting items optimistically
//
// An optimistic update sees each page the client holds as its own query
// (the paginated query with paginationOpts {numItems, cursor, endCursor?}).
// The helpers below find the pages of the matching lists and put the item
// in those where it belongs, so the list shows it wherever it is read.

/** One page a client holds: its arguments and its result (undefined while loading). */
interface HeldPage {
  args: Record<string, Value>;
  /** The list it belongs to: its arguments without paginationOpts, encoded. */
  list: string;
  cursor: string | null;
  /** Where it ends, when that is known: endCursor, else continueCursor. */
  end: string | undefined;
  value: PageResult | undefined;
}

type InsertOptions<Q> = {
  paginatedQuery: Q;
  /** Only lists whose arguments hold these (each compared as a Convex value). */
  argsToMatch?: Partial<PaginatedArgs<Q>>;
  localQueryStore: OptimisticLocalStore;
  item: PaginatedItem<Q>;
};

const encoded = (v: unknown) => JSON.stringify(convexToJson(v as Value));

/** The pages the store holds of query, in the lists that match argsToMatch. */
function heldPages(store: OptimisticLocalStore, query: FunctionLike<"query">, argsToMatch: Record<string, unknown> | undefined): HeldPage[] {
  const wanted = Object.entries(argsToMatch ?? {}).filter(([, v]) => v !== undefined);
  const pages: HeldPage[] = [];
  for (const { args, value } of store.getAllQueries(query as string)) {
    const all = args as Record<string, Value>;
    const { paginationOpts, ...rest } = all;
    const opts = paginationOpts as { cursor?: string | null; endCursor?: string | null } | undefined;
    if (opts === undefined || wanted.some(([k, v]) => !(k in rest) || encoded(rest[k]) !== encoded(v))) {
      continue;
    }
    const page = value as PageResult | undefined;
    pages.push({
      args: all,
      list: encoded(rest),
      cursor: opts.cursor ?? null,
      end: opts.endCursor ?? page?.continueCursor ?? undefined,
      value: page,
    });
  }
  return pages;
}

function setPage(store: OptimisticLocalStore, query: FunctionLike<"query">, p: HeldPage, items: Value[]): void {
  store.setQuery(query as string, p.args, { ...p.value, page: items });
}

/**
 * For an optimistic update: puts item first in the paginated query's list
 * (the first page of each list whose arguments hold argsToMatch), whatever
 * the list's order.
 */
export function insertAtTop<Q extends FunctionLike<"query">>(options: InsertOptions<Q>): void {
  const { paginatedQuery: query, localQueryStore: store, item } = options;
  for (const p of heldPages(store, query, options.argsToMatch as Record<string, unknown> | undefined)) {
    if (p.cursor === null && p.value !== undefined) {
      setPage(store, query, p, [item as Value, ...p.value.page]);
    }
  }
}

/**
 * For an optimistic update: puts item last in the paginated query's list,
 * but only in lists loaded to their end (elsewhere the end is not shown,
 * and the item would sit in the middle until the update is dropped).
 */
export function insertAtBottomIfLoaded<Q extends FunctionLike<"query">>(options: InsertOptions<Q>): void {
  const { paginatedQuery: query, localQueryStore: store, item } = options;
  for (const p of heldPages(store, query, options.argsToMatch as Record<string, unknown> | undefined)) {
    if (p.value?.isDone) {
      setPage(store, query, p, [...p.value.page, item as Value]);
    }
  }
}

/**
 * For an optimistic update: puts item where it sorts in the paginated
 * query's list, given the query's order and how to read an item's sort key
 * (a value or an array of values, compared as Convex orders values). The
 * item goes before the first loaded item it does not sort after, and after
 * the last one when it sorts last (or ties with it): there only if the
 * list is loaded to its end, since otherwise items not loaded yet may come
 * first.
 */
export function insertAtPosition<Q extends FunctionLike<"query">>(
  options: InsertOptions<Q> & {
    sortOrder: "asc" | "desc";
    sortKeyFromItem: (element: PaginatedItem<Q>) => Value | Value[];
  },
): void {
  const { paginatedQuery: query, localQueryStore: store, item, sortOrder, sortKeyFromItem } = options;
  const keyOf = (v: Value): Value[] => {
    const k = sortKeyFromItem(v as PaginatedItem<Q>);
    return Array.isArray(k) ? k : [k];
  };
  const itemKey = keyOf(item as Value);
  // Negative when item sorts before v in the list's order, 0 on a tie.
  const cmp = (v: Value) => (sortOrder === "desc" ? -1 : 1) * compareValues(itemKey, keyOf(v));
  const pages = heldPages(store, query, options.argsToMatch as Record<string, unknown> | undefined);
  const loadedAfter = (p: HeldPage) => pages.some((q) => q.list === p.list && q.cursor === p.end && q.cursor !== null && q.value !== undefined);

  // The last item before page p in its list: null at the list's start,
  // undefined when an earlier page is not loaded.
  const lastBefore = (p: HeldPage, depth = 0): Value | null | undefined => {
    if (p.cursor === null) return null;
    const prev = pages.find((q) => q.list === p.list && q.end === p.cursor);
    if (prev === undefined || prev.value === undefined || depth > pages.length) return undefined;
    const items = prev.value.page;
    return items.length > 0 ? items[items.length - 1]! : lastBefore(prev, depth + 1);
  };

  // Each page decides alone whether the item lands in it (a page being
  // split is held along with its halves; each shows it in the same place).
  for (const p of pages) {
    const r = p.value;
    if (r === undefined) continue;
    const before = lastBefore(p);
    // Not after an earlier page's last item: it lands there (or nowhere).
    if (before === undefined || (before !== null && cmp(before) <= 0)) continue;
    const last = r.page[r.page.length - 1];
    let at: number;
    if (loadedAfter(p)) {
      // A page inside the list takes the item only if it sorts before (or
      // ties with) one of its items.
      if (last === undefined || cmp(last) > 0) continue;
      at = r.page.findIndex((v) => cmp(v) <= 0);
    } else if (last === undefined || cmp(last) >= 0) {
      // Past the last loaded item: the end of the list, if it is loaded.
      if (!r.isDone) continue;
      at = r.page.length;
    } else {
      at = r.page.findIndex((v) => cmp(v) <= 0);
    }
    const items = [...r.page];
    items.splice(at, 0, item as Value);
    setPage(store, query, p, items);
  }
}
