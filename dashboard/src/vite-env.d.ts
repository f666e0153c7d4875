/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the API is, e.g. `http://127.0.0.1:8000` for `npm run dev`; empty when served by the server. */
  readonly VITE_API_BASE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
