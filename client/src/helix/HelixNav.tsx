import { lazy, Suspense } from 'react';
import type { NavLinkProps } from 'react-router';

// its own small chunk: the entry does not carry the query documents for it
const HelixNavLink = lazy(() => import('./HelixNavLink'));

/** The Helix entry of the main navigation, shown only while Helix is on. */
export function HelixNav({ className }: { className: NavLinkProps['className'] }) {
  return (
    <Suspense fallback={null}>
      <HelixNavLink className={className} />
    </Suspense>
  );
}
