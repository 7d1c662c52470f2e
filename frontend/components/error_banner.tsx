'use client';

import type { SessionProblem } from '../lib/agent_status.ts';

interface ErrorBannerProps {
  problem: SessionProblem;
  /** Offered when the session cannot go on. */
  onBack?: () => void;
  /** Offered for a warning the person can put away. */
  onDismiss?: () => void;
}

export function ErrorBanner({ problem, onBack, onDismiss }: ErrorBannerProps) {
  return (
    <div
      className={`banner banner-${problem.severity}`}
      data-testid="error-banner"
      data-severity={problem.severity}
      role={problem.severity === 'error' ? 'alert' : 'status'}
    >
      <p className="banner-message">{problem.message}</p>
      {onBack && (
        <button type="button" className="button" onClick={onBack}>
          Back to start
        </button>
      )}
      {onDismiss && (
        <button type="button" className="button" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
