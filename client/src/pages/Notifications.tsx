import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useT } from '../lib/context';
import { AddChannel } from '../notifications/ChannelEditor';
import { ChannelList } from '../notifications/ChannelList';
import { DeliveryLog } from '../notifications/DeliveryLog';
import { ThisDevice } from '../notifications/ThisDevice';
import { PageHeader } from '../ui/Layout';
import { Loading } from '../ui/Notice';
import { UserDataError } from '../ui/UserDataError';

const NotificationsQuery = graphql(`
  query NotificationsPage {
    notificationChannels {
      id
      kind
      name
      enabled
      settings
      secretFields
    }
    notificationSubscriptions {
      id
      channelId
      events
      vins
    }
    notificationDeliveries(first: 20) {
      edges {
        node {
          id
          channelId
          event
          vin
          title
          status
          lastError
          createdAt
          attempts {
            attempt
            at
            outcome
            detail
          }
        }
      }
    }
  }
`);

/** /notifications: this device's Web Push, a new channel, the channels with their subscriptions, the delivery log. */
export default function Notifications() {
  const t = useT();
  const [{ data, fetching, error }, refetch] = useQuery({ query: NotificationsQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const names = new Map(data?.notificationChannels.map((c) => [c.id, c.name]) ?? []);
  return (
    <>
      <PageHeader title={t('notifications.title')} />
      <UserDataError error={error} retry={reload} />
      {!data && fetching && <Loading label={t('app.loading')} />}
      {data && <ThisDevice channels={data.notificationChannels} changed={reload} />}
      <div className="grid gap-4 lg:grid-cols-2">
        <AddChannel added={reload} />
        <div className="space-y-4">
          {data && <ChannelList channels={data.notificationChannels} subscriptions={data.notificationSubscriptions} changed={reload} />}
          {data && <DeliveryLog deliveries={data.notificationDeliveries.edges.map((e) => e.node)} names={names} />}
        </div>
      </div>
    </>
  );
}
