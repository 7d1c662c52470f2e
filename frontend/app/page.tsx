import { App } from '../components/app.tsx';

interface PageProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

/** `?room=NAME` is an invite: the visitor joins that conversation instead of starting one. */
export default async function Page({ searchParams }: PageProps) {
  const { room } = await searchParams;
  return <App inviteRoom={typeof room === 'string' ? room : undefined} />;
}
