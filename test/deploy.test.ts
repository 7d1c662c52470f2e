// The deployment files stay true to the code: the Dockerfile's targets, the compose stacks, the
// Kubernetes examples and README "Deploy" against the config defaults and the files they name. Static:
// no Docker engine needed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { WEB_CONFIG_VARIABLES } from '../frontend/lib/server_env.ts';
import { SERVER_VERSION } from '../scripts/lib/livekit_server.ts';
import { CONFIG_VARIABLES, parseAvatarWorkerConfig, parseConfig } from '../src/config.ts';

const ROOT = resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const exists = (file: string) => existsSync(join(ROOT, file));
/** Compose files use YAML merge keys (`<<: *anchor`). */
const readYaml = (file: string) => parse(read(file), { merge: true });

const defaults = parseConfig({});
const avatarDefaults = parseAvatarWorkerConfig({});
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };

// ---- Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args });
    }
  }
  return { globalArgs, stages };
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage "${name}"`);
  return found;
};
const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
/** An instruction a stage sets itself or inherits from the stage it is built on. */
function inherited(s: Stage, keyword: string): string | undefined {
  const own = all(s, keyword).at(-1);
  if (own !== undefined) return own;
  const parent = dockerfile.stages.find((p) => p.name === s.from);
  return parent ? inherited(parent, keyword) : undefined;
}
const envOf = (s: Stage, variable: string) => {
  const chain: Stage[] = [];
  for (let at: Stage | undefined = s; at; at = dockerfile.stages.find((p) => p.name === at?.from)) chain.unshift(at);
  let value: string | undefined;
  for (const st of chain)
    for (const env of all(st, 'ENV')) value = new RegExp(`(?:^|\\s)${variable}=(\\S+)`).exec(env)?.[1] ?? value;
  return value;
};
const exposed = (s: Stage) => all(s, 'EXPOSE').flatMap((args) => args.split(/\s+/).map((p) => Number.parseInt(p, 10)));
/** The exec-form (JSON) command after CMD: a typo would silently turn it into a shell command. */
const execForm = (args: string) => JSON.parse(args.slice(args.indexOf('['))) as string[];
const copySources = (s: Stage) =>
  all(s, 'COPY')
    .filter((args) => !args.startsWith('--from='))
    .flatMap((args) =>
      args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1),
    );

const TARGETS = {
  worker: { script: 'worker', ports: [defaults.worker.port, defaults.worker.metricsPort], portVariable: 'WORKER_PORT' },
  'avatar-worker': {
    script: 'avatar-worker',
    ports: [avatarDefaults.avatarWorker.port, avatarDefaults.avatarWorker.metricsPort],
    portVariable: 'AVATAR_WORKER_PORT',
  },
  web: { script: undefined, ports: [Number(envOf(stage('web'), 'PORT'))], portVariable: 'PORT' },
} as const;

/** .dockerignore as Docker reads it: the last pattern matching a path or one of its folders decides. */
function dockerIgnored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const GLOB: Record<string, string> = { '**/': '(?:.*/)?', '*': '[^/]*', '?': '[^/]' };
  const toRegExp = (glob: string) =>
    new RegExp(
      `^${glob
        .split(/(\*\*\/|\*|\?)/)
        .map((part) => GLOB[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
        .join('')}$`,
    );
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const re = toRegExp(pattern.replace(/^!/, '').replace(/\/$/, ''));
    if (prefixes.some((p) => re.test(p))) ignored = !negated;
  }
  return ignored;
}

/** Files a script loads through relative imports, transitively (type-only imports are erased). */
function importGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = read(entry);
  for (const [, specifier] of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)) {
    if (specifier) importGraph(relative(ROOT, resolve(ROOT, dirname(entry), specifier)), seen);
  }
  return seen;
}

describe('Dockerfile', () => {
  test('has the worker, avatar-worker and web targets; the worker is the default (last) one', () => {
    const names = dockerfile.stages.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(Object.keys(TARGETS)));
    expect(names.at(-1)).toBe('worker');
  });

  test.each(Object.keys(TARGETS))('%s runs as a non-root user, with a health check on its port', (name) => {
    const target = TARGETS[name as keyof typeof TARGETS];
    const s = stage(name);
    const user = inherited(s, 'USER') ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    const healthcheck = all(s, 'HEALTHCHECK').at(-1);
    expect(healthcheck).toBeDefined();
    const [program, flag, script] = execForm(healthcheck ?? '');
    expect([program, flag]).toEqual(['node', '-e']);
    expect(script).toContain(`process.env.${target.portVariable} || ${target.ports[0]}`);
    expect(exposed(s)).toEqual(target.ports);
  });

  test.each(['worker', 'avatar-worker'] as const)('%s runs what its npm script runs, under tini', (name) => {
    const s = stage(name);
    expect(execForm(inherited(s, 'CMD') ?? '').join(' ')).toBe(packageJson.scripts[TARGETS[name].script]);
    expect(execForm(inherited(s, 'ENTRYPOINT') ?? '')).toEqual(['/usr/bin/tini', '--']);
    expect(all(s, 'COPY')).toContain('--from=deps /app/node_modules ./node_modules');
  });

  test('the worker has the offline runtime and models where the code looks for them', () => {
    const models = stage('models');
    expect(all(models, 'RUN')).toContain('node --import tsx scripts/models.ts');
    const cache = envOf(models, 'XDG_CACHE_HOME');
    expect(cache).toBeDefined();
    expect(envOf(stage('worker'), 'XDG_CACHE_HOME')).toBe(cache);
    expect(all(stage('worker'), 'COPY')).toContain(
      `--from=models ${cache}/livekit-avatar-agent ${cache}/livekit-avatar-agent`,
    );
  });

  test('the models stage copies every file scripts/models.ts imports', () => {
    const copied = [...copySources(stage('models')), ...copySources(stage('deps'))];
    const missing = [...importGraph('scripts/models.ts')].filter(
      (file) => !copied.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)),
    );
    expect(missing).toEqual([]);
  });

  test('every COPY source exists and is in the build context (.dockerignore)', () => {
    const sources = dockerfile.stages.flatMap(copySources);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => !exists(s))).toEqual([]);
    expect(sources.filter((s) => dockerIgnored(s.replace(/\/$/, '')))).toEqual([]);
    // What must stay out: secrets, and host-built modules that would overwrite the image's own.
    for (const path of ['.env', 'frontend/.env.local', 'node_modules', 'frontend/node_modules', 'frontend/.next']) {
      expect(dockerIgnored(path), path).toBe(true);
    }
  });

  test('the base image is a Node line package.json supports', () => {
    const major = Number(/^node:(\d+)-/.exec(dockerfile.globalArgs.NODE_IMAGE ?? '')?.[1]);
    const [, min = '', below = ''] = /^>=(\d+)\.\d+\s+<(\d+)$/.exec(packageJson.engines.node) ?? [];
    expect(major).toBeGreaterThanOrEqual(Number(min));
    expect(major).toBeLessThan(Number(below));
  });

  test('the web image is Next.js standalone output', () => {
    expect(all(stage('web-build'), 'RUN').join('\n')).toMatch(/NEXT_OUTPUT=standalone .*next build/);
    expect(all(stage('web'), 'COPY')).toContain('--from=web-build /app/.next/standalone ./');
    expect(execForm(inherited(stage('web'), 'CMD') ?? '')).toEqual(['node', 'server.js']);
    // Read, not imported: next.config.ts brings Next.js' global types into this project's type check.
    expect(read('frontend/next.config.ts')).toMatch(
      /process\.env\.NEXT_OUTPUT === 'standalone' && \{ output: 'standalone' as const \}/,
    );
  });
});

// ---- compose ----

interface ComposeService {
  image?: string;
  build?: { context: string; target: string };
  network_mode?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  container_name?: string;
}
const compose = readYaml('compose.yaml') as { services: Record<string, ComposeService> };
const multinode = readYaml('compose.multinode.yaml') as { services: Record<string, ComposeService> };
const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`compose.yaml has no service "${name}"`);
  return s;
};

interface LiveKitYaml {
  port: number;
  rtc: { tcp_port: number; port_range_start: number; port_range_end: number };
  redis?: { address: string };
  room: Record<string, unknown>;
}
/** The config file a livekit-server service mounts at the path its --config names. */
function mountedConfig(s: ComposeService): { file: string; config: LiveKitYaml } {
  const command = s.command ?? [];
  const target = command[command.indexOf('--config') + 1];
  const mount = s.volumes?.find((v) => v.split(':')[1] === target);
  const file = mount?.split(':')[0]?.replace(/^\.\//, '') ?? '';
  expect(exists(file), `${file} (mounted at ${target})`).toBe(true);
  return { file, config: parse(read(file)) as LiveKitYaml };
}
const portOf = (url: string) => Number(new URL(url).port);
const seconds = (duration: string) =>
  [...duration.matchAll(/(\d+)(h|m|s)/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h'],
    0,
  );
const redisHostPort = () => Number(service('redis').ports?.[0]?.split(':').at(-2));

describe('compose.yaml', () => {
  const livekit = mountedConfig(service('livekit'));

  test('livekit-server: the pinned version, host networking, our livekit.yaml, the shared Redis', () => {
    const lk = service('livekit');
    expect(lk.image).toBe(`livekit/livekit-server:v${SERVER_VERSION}`);
    expect(lk.network_mode).toBe('host');
    expect(livekit.file).toBe('livekit.yaml');
    expect(lk.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${livekit.config.port}/`);
    const command = lk.command ?? [];
    expect(command[command.indexOf('--redis-host') + 1]).toBe(`127.0.0.1:${redisHostPort()}`);
  });

  test.each(['worker', 'avatar-worker', 'web'])(
    '%s: its Dockerfile target, LIVEKIT_URL on the server port, known variables',
    (name) => {
      const s = service(name);
      expect(s.build?.target).toBe(name);
      expect(dockerfile.stages.map((st) => st.name)).toContain(s.build?.target);
      expect(portOf(s.environment?.LIVEKIT_URL ?? '')).toBe(livekit.config.port);
      const known = name === 'web' ? WEB_CONFIG_VARIABLES : CONFIG_VARIABLES;
      expect(Object.keys(s.environment ?? {}).filter((v) => !known.includes(v))).toEqual([]);
    },
  );

  test.each(['worker', 'avatar-worker'] as const)('%s scales (no fixed host ports or name) and may drain', (name) => {
    const s = service(name);
    expect(s.ports).toBeUndefined();
    expect(s.container_name).toBeUndefined();
    expect((s.expose ?? []).map(Number)).toEqual(TARGETS[name].ports);
    const drain = Number(s.environment?.WORKER_DRAIN_TIMEOUT ?? defaults.worker.drainTimeoutMs / 1000);
    expect(seconds(s.stop_grace_period ?? '0s')).toBeGreaterThan(drain);
  });

  test('the web app: published on its image port; browsers get LIVEKIT_PUBLIC_URL', () => {
    const web = service('web');
    expect(Number(web.ports?.[0]?.split(':').at(-1))).toBe(TARGETS.web.ports[0]);
    expect(web.environment?.LIVEKIT_PUBLIC_URL).toMatch(/^\$\{LIVEKIT_PUBLIC_URL:-wss?:\/\/[^}]+\}$/);
  });

  test('compose.multinode.yaml: more nodes, each its own ports, the same rooms and Redis', () => {
    const nodes = Object.values(multinode.services);
    expect(nodes.length).toBeGreaterThan(0);
    const taken = [livekit.config];
    for (const node of nodes) {
      expect(node.image).toBe(service('livekit').image);
      expect(node.network_mode).toBe('host');
      const { config } = mountedConfig(node);
      expect(node.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${config.port}/`);
      expect(config.room).toEqual(livekit.config.room);
      expect(Number(config.redis?.address.split(':').at(-1))).toBe(redisHostPort());
      for (const other of taken) {
        expect(config.port).not.toBe(other.port);
        expect(config.rtc.tcp_port).not.toBe(other.rtc.tcp_port);
        const apart =
          config.rtc.port_range_end < other.rtc.port_range_start ||
          config.rtc.port_range_start > other.rtc.port_range_end;
        expect(apart).toBe(true);
      }
      taken.push(config);
    }
  });
});

// ---- Kubernetes ----

describe('deploy/kubernetes', () => {
  const dir = join(ROOT, 'deploy', 'kubernetes');
  const parsed = readdirSync(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({ file, doc })),
  );
  const docs = parsed.map(({ doc }) => doc.toJS() as Record<string, never>);

  test('every manifest parses', () => {
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.flatMap(({ file, doc }) => doc.errors.map((e) => `${file}: ${e.message}`))).toEqual([]);
  });
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below.
  const deployment = (name: string): any => docs.find((d: any) => d.kind === 'Deployment' && d.metadata.name === name);

  test('the worker Deployment drains longer than WORKER_DRAIN_TIMEOUT and runs non-root on the health/metrics ports', () => {
    const spec = deployment('avatar-agent').spec.template.spec;
    const container = spec.containers[0];
    const drain = Number(container.env.find((e: { name: string }) => e.name === 'WORKER_DRAIN_TIMEOUT')?.value);
    expect(drain).toBe(defaults.worker.drainTimeoutMs / 1000);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(drain);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(spec.securityContext.runAsUser).not.toBe(0);
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual(TARGETS.worker.ports);
  });

  test('the web Deployment listens on every interface on its image port', () => {
    const container = deployment('avatar-web').spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'HOSTNAME', value: '0.0.0.0' });
    expect(container.ports[0].containerPort).toBe(TARGETS.web.ports[0]);
  });

  test("the livekit-server chart's values: the pinned version, Redis, rooms as livekit.yaml's", () => {
    const values = parse(read('deploy/kubernetes/livekit-server-values.yaml'));
    expect(values.image.tag).toBe(`v${SERVER_VERSION}`);
    expect(values.livekit.redis.address).toBeTruthy();
    expect(values.livekit.room).toEqual((parse(read('livekit.yaml')) as LiveKitYaml).room);
  });
});

// ---- README ----

describe('README "Deploy"', () => {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Deploy\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

  test('exists, right after "Configuration"', () => {
    expect(start).toBeGreaterThan(0);
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings[headings.indexOf('Deploy') - 1]).toBe('Configuration');
  });

  test('every `npm run` script it names exists', () => {
    const scripts = [...section.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((s) => !(s in packageJson.scripts))).toEqual([]);
  });

  test('every file it names exists', () => {
    const inline = [...section.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] ?? '');
    const blocks = [...section.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split(/\s+/));
    const paths = [...inline, ...blocks].filter(
      (word) =>
        !/^[/~<]|:/.test(word) &&
        (/^[\w.-]+(\/[\w.-]+)+\/?$/.test(word) || /^[\w.-]+\.(ya?ml|ts|mjs|json|md|py)$/.test(word)),
    );
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !exists(p.replace(/\/$/, '')))).toEqual([]);
  });
});
