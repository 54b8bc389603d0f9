import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The chat's one table. The local dev stack keeps the same shape in Go
// (internal/chat): every message has its body, the author's display name
// and the author's tokenIdentifier.
export default defineSchema({
  messages: defineTable({
    body: v.string(),
    author: v.string(),
    authorId: v.string(),
  }),
});
