import type { BaseKey } from '../i18n/en';
import { useFormat, useT } from '../lib/context';
import { Badge, type Tone } from '../ui/Badge';
import { Card } from '../ui/Card';

const STATUS_TONE: Record<string, Tone> = { sent: 'success', failed: 'danger', pending: 'info', deferred: 'warning' };

export interface Delivery {
  id: string;
  channelId: string;
  event: string;
  vin?: string | null;
  title: string;
  status: string;
  lastError?: string | null;
  createdAt: string;
  attempts: readonly { attempt: number; at: string; outcome: string; detail?: string | null }[];
}

/** The latest deliveries, each with its attempts; `names` gives a channel's name by its id. */
export function DeliveryLog({ deliveries, names }: { deliveries: readonly Delivery[]; names: ReadonlyMap<string, string> }) {
  const t = useT();
  const format = useFormat();
  return (
    <Card title={t('notifications.log')}>
      {deliveries.length === 0 && <p className="text-sm">{t('notifications.noDeliveries')}</p>}
      <ul className="space-y-3 text-sm">
        {deliveries.map((node) => (
          <li key={node.id} className="space-y-1" data-delivery-id={node.id}>
            <p className="flex flex-wrap items-center gap-2">
              <Badge tone={STATUS_TONE[node.status] ?? 'neutral'}>{node.status}</Badge>
              <span className="font-medium">{node.title}</span>
            </p>
            <p className="text-slate-600 dark:text-slate-400">
              {t(`notificationEvent.${node.event}` as BaseKey)} · {names.get(node.channelId) ?? node.channelId}
              {node.vin && ` · ${node.vin}`} · <time dateTime={node.createdAt}>{format.dateTime(node.createdAt)}</time>
            </p>
            {node.lastError && <p className="text-red-700 dark:text-red-400">{node.lastError}</p>}
            {node.attempts.length > 0 && (
              <ol className="ml-4 list-disc">
                {node.attempts.map((a) => (
                  <li key={a.attempt}>
                    {t('notifications.attempt', { attempt: a.attempt })}: <time dateTime={a.at}>{format.dateTime(a.at)}</time> · {a.outcome}
                    {a.detail && ` · ${a.detail}`}
                  </li>
                ))}
              </ol>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
