import { graphql } from '../gql';

/** Drives and charging sessions as they open and close: list pages refetch on them. */
export const SessionsSubscription = graphql(`
  subscription SessionEvents($vin: String!) {
    sessions(vin: $vin) {
      kind
      phase
      startedAt
    }
  }
`);
