import { useMemo } from 'react';
import { createBrowserRouter, type RouteObject } from 'react-router';
import { RouterProvider } from 'react-router/dom';
import { Provider } from 'urql';
import { createApiClient } from './lib/api';
import { SettingsProvider } from './lib/context';
import { PreferencesSync } from './lib/preferencesSync';
import { Layout } from './ui/Layout';

// Every page is its own chunk, loaded when first visited.
const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, lazy: () => import('./pages/Overview').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin', lazy: () => import('./pages/Car').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/commands', lazy: () => import('./pages/Commands').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/drives', lazy: () => import('./pages/Drives').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/drives/:id', lazy: () => import('./pages/Drive').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/charging', lazy: () => import('./pages/Charging').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/charging/:id', lazy: () => import('./pages/ChargingSession').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/battery', lazy: () => import('./pages/Battery').then((m) => ({ Component: m.default })) },
      { path: 'cars/:vin/stats', lazy: () => import('./pages/Stats').then((m) => ({ Component: m.default })) },
      { path: 'places', lazy: () => import('./pages/Places').then((m) => ({ Component: m.default })) },
      { path: 'exports', lazy: () => import('./pages/Exports').then((m) => ({ Component: m.default })) },
      { path: 'notifications', lazy: () => import('./pages/Notifications').then((m) => ({ Component: m.default })) },
      { path: 'automations', lazy: () => import('./pages/Automations').then((m) => ({ Component: m.default })) },
      { path: 'helix', lazy: () => import('./pages/Helix').then((m) => ({ Component: m.default })) },
      { path: 'settings', lazy: () => import('./pages/Settings').then((m) => ({ Component: m.default })) },
      { path: '*', lazy: () => import('./pages/NotFound').then((m) => ({ Component: m.default })) },
    ],
  },
];

export function App() {
  const client = useMemo(createApiClient, []);
  const router = useMemo(() => createBrowserRouter(routes), []);
  return (
    <SettingsProvider>
      <Provider value={client}>
        <PreferencesSync>
          <RouterProvider router={router} />
        </PreferencesSync>
      </Provider>
    </SettingsProvider>
  );
}
