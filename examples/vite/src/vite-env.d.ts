/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Real deployment URL, e.g. https://happy-animal-123.convex.cloud (unset: the local dev stack). */
  readonly VITE_CONVEX_URL?: string;
  /** WorkOS client id, client_01… (unset: the local dev stack). */
  readonly VITE_WORKOS_CLIENT_ID?: string;
  /** Where WorkOS sends the browser back after sign-in (default: this origin + /callback). */
  readonly VITE_WORKOS_REDIRECT_URI?: string;
  /** A custom WorkOS authentication domain, e.g. auth.example.com (default: api.workos.com). */
  readonly VITE_WORKOS_API_HOSTNAME?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
