import { Link } from 'react-router';
import { useT } from '../lib/context';
import { PageHeader } from '../ui/Layout';

export default function NotFound() {
  const t = useT();
  return (
    <>
      <PageHeader title={t('errors.pageNotFound')} />
      <Link to="/" className="text-blue-800 underline dark:text-blue-300">
        {t('nav.fleet')}
      </Link>
    </>
  );
}
