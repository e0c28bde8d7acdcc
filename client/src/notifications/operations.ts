// The channel operations both the channel list and "Notify this device" use.

import { graphql } from '../gql';

export const DeleteChannelMutation = graphql(`
  mutation DeleteNotificationChannel($id: ID!) {
    deleteNotificationChannel(id: $id) {
      removed
      errors {
        ...MutationProblemFields
      }
    }
  }
`);

export const TestChannelMutation = graphql(`
  mutation TestNotificationChannel($id: ID!) {
    testNotificationChannel(id: $id) {
      delivered
      detail
      errors {
        ...MutationProblemFields
      }
    }
  }
`);
