import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { serviceWorker } from './pwa/plugin';

// Where `vite` (dev) and `vite preview` forward /graphql (HTTP and WebSocket). The browser stays on one
// origin, as it does when the API serves the built client at `/`.
const api = process.env.TESLASYNC_API_URL ?? 'http://127.0.0.1:8000';
// changeOrigin stays false: the API sees the page's own Host, so its WebSocket origin check passes
const proxy = { '/graphql': { target: api, ws: true, changeOrigin: false } };

export default defineConfig({
  plugins: [react(), tailwindcss(), serviceWorker()],
  build: { manifest: true, target: 'es2022' },
  server: { proxy },
  preview: { proxy },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
