import { agentStateLabel } from '../lib/agent_status.ts';

/** `state` is components-react's AgentState. */
export function AgentStateBadge({ state }: { state: string }) {
  return (
    <span className="agent-state" data-testid="agent-state" data-state={state}>
      <span className="state-dot" aria-hidden="true" />
      {agentStateLabel(state)}
    </span>
  );
}
