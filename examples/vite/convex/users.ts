import type { UserIdentity } from "convex/server";
import { v } from "convex/values";
import { query } from "./_generated/server";

/**
 * The signed-in user as the deployment sees them (from the access token's
 * claims: name and email come from a WorkOS JWT template), or null when
 * signed out.
 */
export const viewer = query({
  args: {},
  returns: v.union(
    v.object({
      name: v.string(),
      email: v.string(),
      subject: v.string(),
      tokenIdentifier: v.string(),
    }),
    v.null(),
  ),
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      return null;
    }
    return {
      name: displayName(identity),
      email: identity.email ?? "",
      subject: identity.subject,
      tokenIdentifier: identity.tokenIdentifier,
    };
  },
});

/** The name a message shows: the user's name, else email, else subject. */
export function displayName(identity: UserIdentity): string {
  const candidates = [
    identity.name,
    [identity.givenName, identity.familyName].filter(Boolean).join(" "),
    identity.email,
    identity.subject,
  ];
  return candidates.find((s) => s !== undefined && s.trim() !== "")?.trim() ?? "anonymous";
}
