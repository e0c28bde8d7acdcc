// The GraphQL client: urql over fetch for queries and mutations, graphql-ws (graphql-transport-ws) for
// subscriptions, one socket shared by every subscription of the page.

import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws/client';
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from 'urql';
import { getToken } from './token';

/** Where the API is: the same origin's /graphql unless VITE_API_URL says otherwise at build time. */
export const API_URL: string = import.meta.env.VITE_API_URL || '/graphql';

/** The WebSocket URL for an API URL, relative ones resolved against the page. */
export function websocketUrl(apiUrl: string, page: { protocol: string; host: string }): string {
  const url = new URL(apiUrl, `${page.protocol}//${page.host}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

// -- the live connection's health, for the pages to show --------------------------------------------

export type LinkState = 'idle' | 'connecting' | 'live' | 'reconnecting';

let linkState: LinkState = 'idle';
let everConnected = false;
const stateListeners = new Set<() => void>();
const reconnectListeners = new Set<() => void>();

function setLinkState(next: LinkState): void {
  if (next === linkState) return;
  linkState = next;
  stateListeners.forEach((listener) => listener());
}

export const linkStore = {
  get: (): LinkState => linkState,
  subscribe(listener: () => void): () => void {
    stateListeners.add(listener);
    return () => stateListeners.delete(listener);
  },
};

/** Called after the socket came back: updates in between may be lost, so re-read what is shown. */
export function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

function authorization(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

function createSocket(): WsClient {
  return createWsClient({
    url: websocketUrl(API_URL, window.location),
    // browsers cannot set headers on a WebSocket: the token goes in connection_init
    connectionParams: authorization,
    lazy: true,
    lazyCloseTimeout: 3000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      connecting: (isRetry) => setLinkState(isRetry || everConnected ? 'reconnecting' : 'connecting'),
      connected: (_socket, _payload, wasRetry) => {
        const again = wasRetry || everConnected;
        everConnected = true;
        setLinkState('live');
        if (again) reconnectListeners.forEach((listener) => listener());
      },
      closed: () => setLinkState(everConnected ? 'reconnecting' : 'idle'),
    },
  });
}

export function createApiClient(): Client {
  let socket: WsClient | null = null;
  return new Client({
    url: API_URL,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          socket ??= createSocket();
          const ws = socket;
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: () => ({ headers: authorization() }),
    requestPolicy: 'cache-and-network',
  });
}

// -- errors -----------------------------------------------------------------------------------------------

/** The API's stable error code (extensions.code) of the first GraphQL error, if any. */
export function errorCode(error: CombinedError | undefined | null): string | null {
  if (!error) return null;
  for (const e of error.graphQLErrors) {
    const code = e.extensions?.code;
    if (typeof code === 'string') return code;
  }
  const status = (error.response as Response | undefined)?.status;
  if (status === 401) return 'UNAUTHENTICATED';
  if (error.networkError) return 'NETWORK';
  return null;
}

export function errorExtension(error: CombinedError | undefined | null, name: string): unknown {
  return error?.graphQLErrors.find((e) => e.extensions?.[name] !== undefined)?.extensions?.[name];
}
