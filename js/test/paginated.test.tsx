// usePaginatedQuery next to convex/react's own, each on its client, over one
// convextest deployment (testing:items: newest first; testing:addItem).
import { useState } from "react";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import {
  ConvexProvider as OfficialProvider,
  optimisticallyUpdateValueInPaginatedQuery as officialUpdateInPaginated,
  useMutation as officialUseMutation,
  usePaginatedQuery as officialUsePaginatedQuery,
} from "convex/react";
import {
  ConvexProvider,
  optimisticallyUpdateValueInPaginatedQuery,
  useMutation,
  usePaginatedQuery,
} from "../src/index.js";
import { closeClients, eventually, officialClient, ourClient, stats, unique } from "./helpers.js";

const items = makeFunctionReference<"query", { list: string; paginationOpts: any }, any>("testing:items");

afterEach(async () => {
  cleanup();
  await closeClients();
});

type Hook = typeof usePaginatedQuery;

function List({ hook, list, id }: { hook: Hook; list: string; id: string }) {
  const { results, status, isLoading, loadMore } = hook(items, { list }, { initialNumItems: 2 });
  return (
    <div>
      <span data-testid={id}>{`${status}|${isLoading}|${results.map((r: { n: number }) => r.n).join(",")}`}</span>
      <button onClick={() => loadMore(2)}>{`more-${id}`}</button>
    </div>
  );
}

describe("usePaginatedQuery", () => {
  it("loads, grows, splits and exhausts a list as convex/react's does", async () => {
    const list = unique("pages");
    const writer = ourClient();
    for (const n of [1, 2, 3]) await writer.mutation("testing:addItem", { list, n });

    render(
      <div>
        <ConvexProvider client={ourClient()}>
          <List hook={usePaginatedQuery} list={list} id="ours" />
        </ConvexProvider>
        <OfficialProvider client={officialClient()}>
          <List hook={officialUsePaginatedQuery as unknown as Hook} list={list} id="official" />
        </OfficialProvider>
      </div>,
    );
    const both = async (want: string) => {
      await waitFor(() => expect(screen.getByTestId("official").textContent).toBe(want));
      await waitFor(() => expect(screen.getByTestId("ours").textContent).toBe(want));
    };
    expect(screen.getByTestId("ours").textContent).toBe("LoadingFirstPage|true|");
    await both("CanLoadMore|false|3,2");

    fireEvent.click(screen.getByText("more-ours"));
    fireEvent.click(screen.getByText("more-official"));
    await both("Exhausted|false|3,2,1");

    // Newer items land on the first page, whose end the journal keeps.
    await act(() => writer.mutation("testing:addItem", { list, n: 4 }));
    await both("Exhausted|false|4,3,2,1");
    // Past twice initialNumItems the first page is split in two, unseen.
    for (const n of [5, 6]) await act(() => writer.mutation("testing:addItem", { list, n }));
    await both("Exhausted|false|6,5,4,3,2,1");
    // Each client: the first page's two halves and the second page.
    await eventually(async () => (await stats()).subscriptions === 6);
  });

  for (const [side, hooks, update, wrap] of [
    ["ours", { usePaginatedQuery, useMutation }, optimisticallyUpdateValueInPaginatedQuery, (c: React.ReactNode) => <ConvexProvider client={ourClient()}>{c}</ConvexProvider>],
    [
      "convex/react",
      { usePaginatedQuery: officialUsePaginatedQuery, useMutation: officialUseMutation },
      officialUpdateInPaginated,
      (c: React.ReactNode) => <OfficialProvider client={officialClient()}>{c}</OfficialProvider>,
    ],
  ] as const) {
    it(`optimisticallyUpdateValueInPaginatedQuery changes the loaded items at once (${side})`, async () => {
      const list = unique("optpage");
      const writer = ourClient();
      for (const n of [1, 2, 3]) await writer.mutation("testing:addItem", { list, n });
      const h = hooks as unknown as { usePaginatedQuery: Hook; useMutation: typeof useMutation };
      const upd = update as typeof optimisticallyUpdateValueInPaginatedQuery;
      function Page() {
        const { results } = h.usePaginatedQuery(items, { list }, { initialNumItems: 5 });
        const add = h.useMutation("testing:addItem").withOptimisticUpdate((store) =>
          upd(store, items, { list }, (it: { n: number }) => ({ ...it, n: it.n * 10 })),
        );
        return (
          <div>
            <span data-testid="page">{results.map((r: { n: number }) => r.n).join(",")}</span>
            <button onClick={() => void add({ list, n: 4 })}>add</button>
          </div>
        );
      }
      render(wrap(<Page />));
      await waitFor(() => expect(screen.getByTestId("page").textContent).toBe("3,2,1"));
      act(() => fireEvent.click(screen.getByText("add")));
      expect(screen.getByTestId("page").textContent).toBe("30,20,10");
      await waitFor(() => expect(screen.getByTestId("page").textContent).toBe("4,3,2,1"));
    });
  }

  it('starts over for new arguments, and loads nothing with "skip"', async () => {
    const a = unique("a");
    const b = unique("b");
    const c = ourClient();
    for (const n of [1, 2, 3]) await c.mutation("testing:addItem", { list: a, n });
    await c.mutation("testing:addItem", { list: b, n: 9 });
    function Switch() {
      const [list, setList] = useState<string>(a);
      const r = usePaginatedQuery(items, list === "skip" ? "skip" : { list }, { initialNumItems: 1 });
      return (
        <div>
          <span data-testid="switch">{`${r.status}|${r.results.map((x: { n: number }) => x.n).join(",")}`}</span>
          <button onClick={() => r.loadMore(5)}>more</button>
          <button onClick={() => setList(b)}>b</button>
          <button onClick={() => setList("skip")}>skip</button>
        </div>
      );
    }
    render(
      <ConvexProvider client={c}>
        <Switch />
      </ConvexProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("switch").textContent).toBe("CanLoadMore|3"));
    fireEvent.click(screen.getByText("more"));
    await waitFor(() => expect(screen.getByTestId("switch").textContent).toBe("Exhausted|3,2,1"));
    fireEvent.click(screen.getByText("b"));
    await waitFor(() => expect(screen.getByTestId("switch").textContent).toBe("CanLoadMore|9"));
    fireEvent.click(screen.getByText("skip"));
    await waitFor(() => expect(screen.getByTestId("switch").textContent).toBe("LoadingFirstPage|"));
    await eventually(async () => (await stats()).subscriptions === 0);
  });

  it("rejects a negative initialNumItems", () => {
    const c = ourClient();
    function Bad() {
      usePaginatedQuery(items, { list: "x" }, { initialNumItems: -1 });
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() =>
        render(
          <ConvexProvider client={c}>
            <Bad />
          </ConvexProvider>,
        ),
      ).toThrow("`options.initialNumItems` must be a positive number. Received `-1`.");
    } finally {
      console.error = quiet;
    }
  });
});
