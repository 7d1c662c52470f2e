'use client';

import { useEffect, useState } from 'react';

/** How long "Copied" stays up. */
const COPIED_NOTICE_MS = 2000;

/** This page's address with `?room=`: whoever opens it joins the same conversation. */
function inviteUrl(roomName: string): string {
  const url = new URL(window.location.pathname, window.location.origin);
  url.searchParams.set('room', roomName);
  return url.toString();
}

export function InviteLink({ roomName }: { roomName?: string }) {
  // The page's origin is known only in the browser, after hydration.
  const [url, setUrl] = useState<string>();
  const [notice, setNotice] = useState('');

  useEffect(() => {
    setUrl(roomName ? inviteUrl(roomName) : undefined);
  }, [roomName]);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(''), COPIED_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const copy = async () => {
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      setNotice('Link copied');
    } catch {
      // No clipboard outside secure contexts or without permission; the link itself stays selectable.
      setNotice('Copy failed: select the link and copy it');
    }
  };

  return (
    <div className="invite">
      <span className="invite-label">Invite</span>
      {url ? (
        <a className="invite-link" data-testid="invite-link" href={url} target="_blank" rel="noopener">
          {url}
        </a>
      ) : (
        <span className="invite-link muted">available once connected</span>
      )}
      <button type="button" className="button button-small" onClick={copy} disabled={!url}>
        Copy link
      </button>
      <span className="invite-notice" role="status">
        {notice}
      </span>
    </div>
  );
}
