import { NavLink, type NavLinkProps } from 'react-router';
import { useQuery } from 'urql';
import { useT } from '../lib/context';
import { HelixAvailabilityQuery } from './queries';

/** The main navigation's Helix entry: there only while Helix is on (and the API says so to this caller). */
export default function HelixNavLink({ className }: { className: NavLinkProps['className'] }) {
  const t = useT();
  const [{ data }] = useQuery({ query: HelixAvailabilityQuery });
  if (!data?.helix.enabled) return null;
  return (
    <NavLink to="/helix" className={className}>
      {t('nav.helix')}
    </NavLink>
  );
}
