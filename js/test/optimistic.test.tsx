// Optimistic updates next to convex/react's, each on its client, over one
// convextest deployment (testing:listItems, testing:addItem).
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import { ConvexProvider as OfficialProvider, useMutation as officialUseMutation, useQuery as officialUseQuery } from "convex/react";
import { ConvexProvider, useMutation, useQuery, type OptimisticLocalStore } from "../src/index.js";
import { closeClients, eventually, officialClient, ourClient, unique } from "./helpers.js";

type Item = { n: number; optimistic?: boolean };
const listItems = makeFunctionReference<"query", { list: string }, Item[]>("testing:listItems");
const addItem = makeFunctionReference<"mutation", { list: string; n: number }, string>("testing:addItem");
const failMutation = makeFunctionReference<"mutation", { convexError: boolean }, null>("testing:failMutation");

afterEach(async () => {
  cleanup();
  await closeClients();
});

// The hooks of one side: ours, or convex/react's.
interface Hooks {
  useQuery: typeof useQuery;
  useMutation: typeof useMutation;
}
const oursHooks: Hooks = { useQuery, useMutation };
const officialHooks = { useQuery: officialUseQuery, useMutation: officialUseMutation } as unknown as Hooks;

const show = (items: Item[] | undefined) => (items === undefined ? "loading" : items.map((i) => `${i.n}${i.optimistic ? "*" : ""}`).join(","));

function appendTo(list: string, n: number) {
  return (store: OptimisticLocalStore) => {
    const cur = store.getQuery(listItems, { list });
    if (cur !== undefined) store.setQuery(listItems, { list }, [...cur, { n, optimistic: true }]);
  };
}

function List({ hooks, list, id, renders }: { hooks: Hooks; list: string; id: string; renders: string[] }) {
  const items = hooks.useQuery(listItems, { list });
  const add = hooks.useMutation(addItem).withOptimisticUpdate((store, args) => appendTo(list, args.n)(store));
  const fail = hooks.useMutation(failMutation).withOptimisticUpdate(appendTo(list, 99));
  const text = show(items);
  renders.push(text);
  return (
    <div>
      <span data-testid={id}>{text}</span>
      <button onClick={() => void add({ list, n: 3 })}>{`add-${id}`}</button>
      <button onClick={() => void fail({ convexError: true }).catch(() => {})}>{`fail-${id}`}</button>
    </div>
  );
}

describe("optimistic updates", () => {
  for (const [side, hooks, provider] of [
    ["ours", oursHooks, (children: React.ReactNode) => <ConvexProvider client={ourClient()}>{children}</ConvexProvider>],
    ["convex/react", officialHooks, (children: React.ReactNode) => <OfficialProvider client={officialClient()}>{children}</OfficialProvider>],
  ] as const) {
    it(`show at once and give way to the server's result without a render showing both (${side})`, async () => {
      const list = unique("opt");
      const writer = ourClient();
      for (const n of [1, 2]) await writer.mutation("testing:addItem", { list, n });
      const renders: string[] = [];
      render(provider(<List hooks={hooks} list={list} id="l" renders={renders} />));
      await waitFor(() => expect(screen.getByTestId("l").textContent).toBe("1,2"));

      act(() => fireEvent.click(screen.getByText("add-l")));
      expect(screen.getByTestId("l").textContent).toBe("1,2,3*"); // before any server round trip
      await waitFor(() => expect(screen.getByTestId("l").textContent).toBe("1,2,3"));
      const both = (r: string) => r.split(",").includes("3*") && r.split(",").includes("3");
      expect(renders.filter(both)).toEqual([]);
      expect(renders).toContain("1,2,3*");

      // A failing mutation's update is rolled back.
      act(() => fireEvent.click(screen.getByText("fail-l")));
      expect(screen.getByTestId("l").textContent).toBe("1,2,3,99*");
      await waitFor(() => expect(screen.getByTestId("l").textContent).toBe("1,2,3"));
    });
  }

  it("updates see the server's results and earlier updates; a mutation takes one update", async () => {
    const c = ourClient();
    const a = unique("a");
    const b = unique("b");
    await c.mutation(addItem, { list: a, n: 1 });
    const unA = c.onUpdate(listItems, { list: a }, () => {});
    const unB = c.onUpdate(listItems, { list: b }, () => {});
    const loaded = (list: string) => c.watchQuery(listItems, { list }).localQueryResult() !== undefined;
    await eventually(() => loaded(a) && loaded(b));
    const seen: string[] = [];
    const first = c.mutation(addItem, { list: a, n: 2 }, { optimisticUpdate: appendTo(a, 2) });
    const second = c.mutation(addItem, { list: b, n: 5 }, {
      optimisticUpdate: (store) => {
        for (const q of store.getAllQueries(listItems)) {
          seen.push(`${q.args.list === a ? "a" : "b"}=${show(q.value)}`);
        }
      },
    });
    expect(seen.slice(0, 2)).toEqual(["a=1,2*", "b="]);
    await Promise.all([first, second]);
    unA();
    unB();

    let err: unknown;
    function Probe() {
      const mutate = useMutation(addItem).withOptimisticUpdate(() => {});
      try {
        mutate.withOptimisticUpdate(() => {});
      } catch (e) {
        err = e;
      }
      return null;
    }
    render(
      <ConvexProvider client={c}>
        <Probe />
      </ConvexProvider>,
    );
    expect(String(err)).toContain("Already specified optimistic update for mutation testing:addItem");
  });
});
