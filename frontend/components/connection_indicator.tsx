import { connectionStateLabel } from '../lib/agent_status.ts';

/** `state` is livekit-client's ConnectionState. */
export function ConnectionIndicator({ state }: { state: string }) {
  return (
    <span className="connection-state" data-testid="connection-state" data-state={state}>
      <span className="state-dot" aria-hidden="true" />
      {connectionStateLabel(state)}
    </span>
  );
}
