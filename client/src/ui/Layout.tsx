import { Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { HelixNav } from '../helix/HelixNav';
import { useT } from '../lib/context';
import { Loading } from './Notice';
import { PaletteLauncher } from './PaletteLauncher';
import { UpdateNotice } from './UpdateNotice';

const navClass = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-2 text-sm font-medium ${
    isActive
      ? 'bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900'
      : 'text-slate-700 hover:bg-slate-200 dark:text-slate-200 dark:hover:bg-slate-800'
  }`;

/** The frame of every page: skip link, header with the main navigation, and the page in <main>. */
export function Layout() {
  const t = useT();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // below the sm breakpoint the main navigation folds into a menu button
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  // after a navigation, focus moves to the new page so screen readers start there
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
      >
        {t('app.skipToContent')}
      </a>
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <NavLink to="/" className="text-lg font-bold tracking-tight">
            {t('app.name')}
          </NavLink>
          <nav
            id="main-nav"
            aria-label={t('nav.main')}
            onKeyDown={(event) => {
              if (event.key === 'Escape' && menuOpen) {
                setMenuOpen(false);
                menuButton.current?.focus();
              }
            }}
            className={`${menuOpen ? 'flex' : 'hidden'} order-last w-full flex-col gap-1 sm:order-none sm:flex sm:w-auto sm:flex-row sm:flex-wrap`}
          >
            <NavLink to="/" end className={navClass}>
              {t('nav.fleet')}
            </NavLink>
            <NavLink to="/places" className={navClass}>
              {t('nav.places')}
            </NavLink>
            <NavLink to="/exports" className={navClass}>
              {t('nav.exports')}
            </NavLink>
            <NavLink to="/notifications" className={navClass}>
              {t('nav.notifications')}
            </NavLink>
            <NavLink to="/automations" className={navClass}>
              {t('nav.automations')}
            </NavLink>
            <HelixNav className={navClass} />
            <NavLink to="/settings" className={navClass}>
              {t('nav.settings')}
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <PaletteLauncher />
            <button
              ref={menuButton}
              type="button"
              aria-expanded={menuOpen}
              aria-controls="main-nav"
              onClick={() => setMenuOpen((open) => !open)}
              className="inline-flex min-h-10 items-center gap-2 rounded-md border border-slate-300 px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 sm:hidden dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
            >
              <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
                {menuOpen ? <path d="m5 5 10 10M15 5 5 15" /> : <path d="M3 5h14M3 10h14M3 15h14" />}
              </svg>
              {t('nav.menu')}
            </button>
          </div>
        </div>
      </header>
      <UpdateNotice />
      <main id="main" ref={main} tabIndex={-1} className="mx-auto max-w-6xl px-4 py-6 outline-none">
        <Suspense fallback={<Loading label={t('app.loading')} />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

/** The page's title in the tab, after the page's own name. */
export function usePageTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · TeslaSync` : 'TeslaSync';
  }, [title]);
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  usePageTitle(title);
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  );
}
