// A mutation handed to onClick as is gets the click event as its arguments:
// it refuses to send it, saying how to call it.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ConvexProvider, useMutation, type ConvexWasmClient } from "../src/index.js";

afterEach(() => cleanup());

describe("useMutation", () => {
  it("refuses a React event as arguments, and sends a plain object", async () => {
    const sent: unknown[] = [];
    const client = { mutation: async (_name: string, args: unknown) => void sent.push(args) } as unknown as ConvexWasmClient;
    let failure: unknown;
    function Button() {
      const send = useMutation("messages:send");
      return (
        <>
          <button
            onClick={(e) => {
              try {
                void (send as unknown as (a: unknown) => Promise<unknown>)(e);
              } catch (err) {
                failure = err;
              }
            }}
          >
            as-is
          </button>
          <button onClick={() => void send({ body: "hi", nativeEvent: "just a field" })}>wrapped</button>
        </>
      );
    }
    render(
      <ConvexProvider client={client}>
        <Button />
      </ConvexProvider>,
    );
    fireEvent.click(screen.getByText("as-is"));
    expect(String(failure)).toMatch(/React event/);
    fireEvent.click(screen.getByText("wrapped"));
    expect(sent).toEqual([{ body: "hi", nativeEvent: "just a field" }]);
  });
});
