// B5 page: the official browser client (ConvexClient from convex/browser).
import "./instrument.mjs"; // first: it wraps WebSocket before the client loads
import { deploymentUrl, run } from "./page.mjs";
import { ConvexClient } from "convex/browser";

run(new ConvexClient(deploymentUrl(), { unsavedChangesWarning: false }));
