import { execFileSync } from 'node:child_process';

/**
 * Test hosts on one machine: a network namespace per host (its own loopback, ports and
 * address), each joined by a veth pair to a bridge in this process's namespace, which
 * takes `gateway` (the subnet's .1). Programs run on a host through `ip netns exec`,
 * which execs them: the pid is the program's own. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)
 * and iproute2.
 */
export interface TestHosts {
  /** The command prefix that runs a program on `host`. */
  on(host: string): string[];
  /** Deletes the namespaces and the bridge (stop what runs on them first). */
  remove(): void;
}

const PREFIX = 'lrh';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces and bridges left by a test process that is gone (killed before its cleanup). */
function sweep(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line);
    if (m && !alive(Number(m[2]))) ip('netns', 'delete', m[1]);
  }
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const m = new RegExp(`^\\d+: (${PREFIX}(\\d+)br)[:@]`).exec(line);
    if (m && !alive(Number(m[2]))) ip('link', 'delete', m[1]);
  }
}

/** `hosts`: name → IPv4 address, all in `gateway`'s /24 (names of 6 characters at most: interface names are short). */
export function createHosts(gateway: string, hosts: Record<string, string>): TestHosts {
  sweep();
  const tag = `${PREFIX}${process.pid}`;
  const bridge = `${tag}br`;
  const made: string[] = [];
  const remove = () => {
    for (const ns of made) {
      try {
        ip('netns', 'delete', ns);
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'delete', bridge);
    } catch {
      // already gone
    }
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    Object.entries(hosts).forEach(([name, address], i) => {
      const ns = `${tag}-${name}`;
      const outside = `${tag}v${i}`;
      ip('netns', 'add', ns);
      made.push(ns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', outside, 'master', bridge, 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    });
  } catch (err) {
    remove();
    throw new Error(`could not make the test hosts (needs root and iproute2): ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
  return {
    on: (host) => {
      if (!(host in hosts)) throw new Error(`no test host ${host}`);
      return ['ip', 'netns', 'exec', `${tag}-${host}`];
    },
    remove,
  };
}
