// B5 page: the official browser client (ConvexClient from convex/browser).
import { instrumentWebSocket, deploymentUrl, run } from "./page.mjs";
import { ConvexClient } from "convex/browser";

const lastMessage = instrumentWebSocket();
run(new ConvexClient(deploymentUrl(), { unsavedChangesWarning: false }), lastMessage);
