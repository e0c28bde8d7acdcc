import { NavLink } from 'react-router';
import { useT } from '../lib/context';

const tabClass = ({ isActive }: { isActive: boolean }) =>
  `-mb-px border-b-2 px-3 py-2 text-sm font-medium ${
    isActive
      ? 'border-blue-700 text-blue-800 dark:border-blue-400 dark:text-blue-300'
      : 'border-transparent text-slate-700 hover:border-slate-400 dark:text-slate-300'
  }`;

/** The pages of one car. */
export function CarNav({ vin }: { vin: string }) {
  const t = useT();
  return (
    <nav aria-label={t('nav.car')} className="mb-6 flex gap-2 overflow-x-auto border-b border-slate-200 dark:border-slate-800">
      <NavLink to={`/cars/${vin}`} end className={tabClass}>
        {t('nav.live')}
      </NavLink>
      <NavLink to={`/cars/${vin}/drives`} className={tabClass}>
        {t('nav.drives')}
      </NavLink>
      <NavLink to={`/cars/${vin}/charging`} className={tabClass}>
        {t('nav.charging')}
      </NavLink>
      <NavLink to={`/cars/${vin}/battery`} className={tabClass}>
        {t('nav.battery')}
      </NavLink>
      <NavLink to={`/cars/${vin}/stats`} className={tabClass}>
        {t('nav.stats')}
      </NavLink>
      <NavLink to={`/cars/${vin}/commands`} className={tabClass}>
        {t('nav.commands')}
      </NavLink>
    </nav>
  );
}
