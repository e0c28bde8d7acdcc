/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The GraphQL endpoint (default: /graphql on the page's origin). */
  readonly VITE_API_URL?: string;
  /** Where the documentation is published (a MkDocs site): Helix's citations link there. */
  readonly VITE_DOCS_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
