import { graphql } from '../gql';

/** Whether Helix is on and which features run: the nav entry and the pages' panels read this (one request). */
export const HelixAvailabilityQuery = graphql(`
  query HelixAvailability {
    helix {
      enabled
    }
    helixFeatures {
      name
      title
      description
      enabled
      streams
      usesDocs
      inputSchema
    }
  }
`);

export type AvailableFeature = {
  name: string;
  title: string;
  description: string;
  enabled: boolean;
  streams: boolean;
  usesDocs: boolean;
  inputSchema: unknown;
};

graphql(`
  fragment HelixRunFields on HelixRun {
    id
    feature
    status
    text
    citations {
      path
      heading
      anchor
      snippet
    }
    unsupported
    toolCalls
    proposal {
      command
      params
      explanation
      valid
      sensitive
      problems
    }
    errorCode
  }
`);

export const RunHelixFeatureMutation = graphql(`
  mutation RunHelixFeature($feature: String!, $input: JSON!, $stream: Boolean!) {
    runHelixFeature(feature: $feature, input: $input, stream: $stream) {
      run {
        ...HelixRunFields
      }
      unavailable {
        code
        message
      }
    }
  }
`);

export const HelixStreamSubscription = graphql(`
  subscription HelixStream($runId: ID!) {
    helixStream(runId: $runId) {
      runId
      delta
      status
      run {
        ...HelixRunFields
      }
    }
  }
`);
