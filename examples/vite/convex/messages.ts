import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { displayName } from "./users";

/** How long a message body may be, in bytes of UTF-8. */
const MAX_BODY_BYTES = 2000;

/** How many of the latest messages `list` returns. */
const LIST_LIMIT = 100;

/**
 * A document of the messages table: the schema's fields and the system
 * fields. The local dev stack declares the same validators in Go
 * (internal/chat), and `goconvex gen` turns them into Go types.
 */
const message = v.object({
  _id: v.id("messages"),
  _creationTime: v.number(),
  body: v.string(),
  author: v.string(),
  authorId: v.string(),
});

/** The latest messages, oldest first. Anyone may read them. */
export const list = query({
  args: {},
  returns: v.array(message),
  handler: async (ctx) => {
    const latest = await ctx.db.query("messages").order("desc").take(LIST_LIMIT);
    return latest.reverse();
  },
});

/** Sends a message as the signed-in user; returns its id. */
export const send = mutation({
  args: { body: v.string() },
  returns: v.id("messages"),
  handler: async (ctx, args) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new ConvexError("Sign in to send messages.");
    }
    const body = args.body.trim();
    if (body === "") {
      throw new ConvexError("A message needs a body.");
    }
    if (new TextEncoder().encode(body).length > MAX_BODY_BYTES) {
      throw new ConvexError(`A message is at most ${MAX_BODY_BYTES} bytes.`);
    }
    return await ctx.db.insert("messages", {
      body,
      author: displayName(identity),
      authorId: identity.tokenIdentifier,
    });
  },
});
