// A typed `api` as convex's code generator writes one (convex/_generated/api),
// for the user code in user_code.*.tsx.
import { makeFunctionReference, type PaginationOptions, type PaginationResult } from "convex/server";

export type Message = { _id: string; _creationTime: number; channel: string; body: string; priority: number };

export const api = {
  counter: {
    get: makeFunctionReference<"query", { name: string }, number>("counter:get"),
    total: makeFunctionReference<"query", Record<string, never>, number>("counter:total"),
    increment: makeFunctionReference<"mutation", { name: string; by?: number }, number>("counter:increment"),
  },
  messages: {
    list: makeFunctionReference<"query", { channel: string; paginationOpts: PaginationOptions }, PaginationResult<Message>>("messages:list"),
    send: makeFunctionReference<"mutation", { channel: string; body: string }, string>("messages:send"),
    summarize: makeFunctionReference<"action", { channel: string }, string>("messages:summarize"),
  },
};
