import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, useMutation, type CombinedError } from 'urql';
import type { HelixRunFieldsFragment } from '../gql/graphql';
import { applyStreamEvent, startStream, type StreamState } from '../lib/helix';
import { HelixStreamSubscription, RunHelixFeatureMutation } from './queries';

export type HelixRunResult = HelixRunFieldsFragment;

export interface HelixRunState {
  /** The answer as it stands (null before the first run). */
  answer: StreamState<HelixRunResult> | null;
  /** Why the feature could not answer. */
  unavailable: { code: string; message: string } | null;
  /** A request that failed as a whole (network, sign-in). */
  error: CombinedError | null;
  /** Sending the run, or following its stream. */
  busy: boolean;
}

/**
 * Runs a Helix feature: at once, or (for a feature that streams) with `stream: true`, then follows
 * helixStream over the WebSocket and appends each delta as it arrives.
 */
export function useHelixRun(feature: string, streams: boolean) {
  const client = useClient();
  const [mutation, runFeature] = useMutation(RunHelixFeatureMutation);
  const [answer, setAnswer] = useState<StreamState<HelixRunResult> | null>(null);
  const [unavailable, setUnavailable] = useState<{ code: string; message: string } | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [following, setFollowing] = useState<string | null>(null);
  const attempt = useRef(0);

  // follow a streamed run until it ends; each event applied in turn (never batched away)
  useEffect(() => {
    if (!following) return;
    const { unsubscribe } = client.subscription(HelixStreamSubscription, { runId: following }).subscribe((result) => {
      if (result.error) {
        setError(result.error);
        setFollowing(null);
        return;
      }
      const event = result.data?.helixStream;
      if (!event) return;
      setAnswer((state) => (state ? applyStreamEvent(state, event) : startStream(event.run)));
      if (event.status !== 'running') setFollowing(null);
    });
    return unsubscribe;
  }, [client, following]);

  const run = useCallback(
    async (input: Record<string, unknown>) => {
      const mine = ++attempt.current;
      setAnswer(null);
      setUnavailable(null);
      setError(null);
      setFollowing(null);
      const result = await runFeature({ feature, input, stream: streams }, { requestPolicy: 'network-only' });
      if (mine !== attempt.current) return; // a newer run replaced this one
      if (result.error) {
        setError(result.error);
        return;
      }
      const payload = result.data?.runHelixFeature;
      if (!payload) return;
      if (payload.unavailable) {
        setUnavailable(payload.unavailable);
        return;
      }
      if (payload.run) {
        setAnswer(startStream(payload.run));
        if (payload.run.status === 'running') setFollowing(payload.run.id);
      }
    },
    [feature, streams, runFeature],
  );

  const state: HelixRunState = { answer, unavailable, error, busy: mutation.fetching || following !== null };
  return { ...state, run };
}
