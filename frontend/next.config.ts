import type { NextConfig } from 'next';

// Headers every page and API answer carries: no sniffing, no framing by other sites, the browser may
// use the microphone, camera and screen capture for this origin only.
const SECURITY_HEADERS = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'microphone=(self), camera=(self), display-capture=(self)' },
];

const config: NextConfig = {
  // The web image builds with NEXT_OUTPUT=standalone: .next/standalone then holds server.js and only the
  // modules it needs. Left out otherwise: `next start` (npm start, the tests) warns on standalone output.
  ...(process.env.NEXT_OUTPUT === 'standalone' && { output: 'standalone' as const }),
  poweredByHeader: false,
  reactStrictMode: true,
  // The repository root has its own lockfile; this app is its own project.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
  headers: async () => [{ source: '/:path*', headers: SECURITY_HEADERS }],
};

export default config;
