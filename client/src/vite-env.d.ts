/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The GraphQL endpoint (default: /graphql on the page's origin). */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
