import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='15' fill='%238ab4ff'/%3E%3C/svg%3E";

export const metadata: Metadata = {
  title: 'Talk to the avatar',
  description: 'A voice conversation with an AI agent that has a lip-synced face.',
  // Inline, so the app ships no icon file and browsers do not ask for a missing /favicon.ico.
  icons: { icon: FAVICON },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  colorScheme: 'dark',
  themeColor: '#121316',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
