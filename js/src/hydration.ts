/**
 * Server-rendered query results that a client component keeps live, as
 * convex/nextjs's preloadQuery and convex/react's usePreloadedQuery: the
 * payload has the same shape, so either side's preloadQuery feeds either
 * side's usePreloadedQuery.
 *
 * @module
 */
import { useMemo } from "react";
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import { functionName, type AnyFunctionReference, type FunctionLike } from "./client.js";
import { useQuery } from "./react.js";

/**
 * A query result fetched on a server, for {@link usePreloadedQuery}: the
 * function's name, its arguments and its value as Convex JSON (convex's
 * `Preloaded`; `__type` exists only for the type checker).
 */
export type Preloaded<Query extends AnyFunctionReference<"query">> = {
  __type: Query;
  _name: string;
  _argsJSON: string;
  _valueJSON: string;
};

/** Options of {@link preloadQuery}, as convex/nextjs's NextjsOptions. */
export type PreloadQueryOptions = {
  /** A JWT to run the query as (sent as `Authorization: Bearer`). */
  token?: string;
  /** The deployment URL; default: the environment's NEXT_PUBLIC_CONVEX_URL, or CONVEX_URL. */
  url?: string;
  /** Accepted: the URL is not checked here beyond being http(s). */
  skipConvexDeploymentUrlCheck?: boolean;
};

type EmptyObject = Record<string, never>;
type ArgsAndOptions<Q extends AnyFunctionReference<"query">> =
  FunctionArgs<Q> extends EmptyObject
    ? [args?: EmptyObject, options?: PreloadQueryOptions]
    : [args: FunctionArgs<Q>, options?: PreloadQueryOptions];

// The client name and version the deployment sees on HTTP requests.
const clientHeader = "goconvex-react-0.1.0";

function deploymentUrl(options: PreloadQueryOptions): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const url = options.url ?? env?.NEXT_PUBLIC_CONVEX_URL ?? env?.CONVEX_URL;
  if (typeof url !== "string" || url === "") {
    throw new Error("preloadQuery needs the deployment URL: pass options.url or set NEXT_PUBLIC_CONVEX_URL");
  }
  if (!/^https?:\/\//.test(url)) {
    throw new Error(`Invalid deployment address: ${url} must start with "https://" or "http://"`);
  }
  return url.replace(/\/+$/, "");
}

/**
 * Runs a query once over the deployment's HTTP API (POST /api/query) and
 * returns its result as Convex JSON. A failed query rejects with a
 * ConvexError carrying data when the function threw one, else an Error
 * with the server's message.
 */
async function runQuery(name: string, args: Record<string, Value>, options: PreloadQueryOptions): Promise<JSONValue> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "Convex-Client": clientHeader };
  if (options.token !== undefined) {
    headers.Authorization = `Bearer ${options.token}`;
  }
  const res = await fetch(`${deploymentUrl(options)}/api/query`, {
    method: "POST",
    headers,
    body: JSON.stringify({ path: name, format: "convex_encoded_json", args: convexToJson(args) }),
  });
  const text = await res.text();
  let body: { status?: string; value?: JSONValue; errorMessage?: string; errorData?: JSONValue } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body?.status === "success") {
    return body.value ?? null;
  }
  if (body?.status === "error") {
    const message = body.errorMessage ?? "";
    if (body.errorData !== undefined) {
      const err = new ConvexError<any>(message);
      err.data = jsonToConvex(body.errorData);
      throw err;
    }
    throw new Error(message);
  }
  throw new Error(`preloadQuery ${name}: HTTP ${res.status}: ${text}`);
}

/**
 * Runs a query on a server (a server component, a route handler, any
 * server with fetch) over the deployment's HTTP API and returns the
 * payload to hand to a client component's {@link usePreloadedQuery}.
 */
export async function preloadQuery<Query extends AnyFunctionReference<"query">>(
  query: Query,
  ...argsAndOptions: ArgsAndOptions<Query>
): Promise<Preloaded<Query>> {
  const args = (argsAndOptions[0] ?? {}) as Record<string, Value>;
  const options = argsAndOptions[1] ?? {};
  const name = functionName(query);
  const value = await runQuery(name, args, options);
  // The payload holds Convex JSON (objects), as convex/nextjs's does.
  return { _name: name, _argsJSON: convexToJson(args), _valueJSON: value } as unknown as Preloaded<Query>;
}

/** The value a {@link Preloaded} payload carries (convex/nextjs's preloadedQueryResult). */
export function preloadedQueryResult<Query extends AnyFunctionReference<"query">>(preloaded: Preloaded<Query>): FunctionReturnType<Query> {
  return jsonToConvex(fromPayload(preloaded._valueJSON)) as FunctionReturnType<Query>;
}

// A payload field is Convex JSON, or (as its type says) that JSON as text.
function fromPayload(field: unknown): JSONValue {
  return (typeof field === "string" ? JSON.parse(field) : field) as JSONValue;
}

/**
 * A query's live result, starting from a payload that {@link preloadQuery}
 * (ours or convex/nextjs's) fetched on the server: the preloaded value
 * until this client has the query's result, then each new result. Throws,
 * as useQuery does, when the query fails.
 */
export function usePreloadedQuery<Query extends AnyFunctionReference<"query">>(preloaded: Preloaded<Query>): FunctionReturnType<Query> {
  const args = useMemo(() => jsonToConvex(fromPayload(preloaded._argsJSON)) as Record<string, Value>, [preloaded._argsJSON]);
  const initial = useMemo(() => jsonToConvex(fromPayload(preloaded._valueJSON)), [preloaded._valueJSON]);
  const live = useQuery(preloaded._name as FunctionLike<"query">, args);
  return (live === undefined ? initial : live) as FunctionReturnType<Query>;
}
