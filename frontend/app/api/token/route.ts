import { createTokenHandler } from '../../../lib/token_handler.ts';

// Every request mints a fresh token: never cached, never prerendered.
export const dynamic = 'force-dynamic';

export const POST = createTokenHandler();
