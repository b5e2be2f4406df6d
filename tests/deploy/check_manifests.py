#!/usr/bin/env python3
"""Checks the deployment recipes of deploy/ against the topologies they run.

usage: check_manifests.py --nebulac NEBULAC [--root REPO]

Nothing here can start a container, a pod or a systemd service (CI has no
Docker engine, no cluster and no systemd as PID 1). What can drift silently is
checked instead:

  kubernetes  every StatefulSet replica and the fixed-name pod is a node of
              deploy/kubernetes/nebula.yaml under its pod DNS name, and the
              topology has no other node; each role's Service is headless and
              publishes not-ready pods; NEBULA_NODE is the pod's DNS name; the
              readiness probe runs `nebula --as ... await` on that name; the
              image builds in docs/deployment.md build exactly those nodes
  docker      compose gives each node the address and host name of
              deploy/docker/nebula.yaml, the Dockerfile builds the same names,
              and the health checks probe them
  nebulac     both topologies load and place the shop's APIs (--explain)
  systemd     `systemd-analyze verify` has nothing to say about an instance of
              deploy/systemd/nebula-node@.service (skipped, and said, when
              systemd-analyze is missing)

Exit status 0 when every check held; each failure is printed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(ok, what):
    print(('  ok      ' if ok else '  FAILED  ') + what)
    if not ok:
        failures.append(what)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def env_of(container):
    return {e['name']: e.get('value') for e in container.get('env', [])}


def check_kubernetes(root):
    print('== deploy/kubernetes')
    docs = load_all(os.path.join(root, 'deploy/kubernetes/shop.yaml'))
    with open(os.path.join(root, 'deploy/kubernetes/nebula.yaml')) as f:
        nodes = set(yaml.safe_load(f)['nodes'])
    services = {d['metadata']['name']: d for d in docs if d['kind'] == 'Service'}
    expected = set()
    for d in docs:
        check(d['metadata'].get('namespace') == 'shop',
              f"{d['kind']} {d['metadata']['name']} is in namespace shop")
    for s in [d for d in docs if d['kind'] == 'StatefulSet']:
        name, spec = s['metadata']['name'], s['spec']
        svc = spec['serviceName']
        pod = spec['template']['spec']
        node = next(c for c in pod['containers'] if c['name'] == 'node')
        env = env_of(node)
        short = (env.get('NEBULA_NODE') or '').split('@')[0]
        check(env.get('NEBULA_NODE') ==
              f'{short}@$(POD_NAME).{svc}.$(POD_NAMESPACE).svc.cluster.local',
              f'StatefulSet {name}: NEBULA_NODE is the pod DNS name')
        for i in range(spec['replicas']):
            expected.add(f'{short}@{name}-{i}.{svc}.shop.svc.cluster.local')
        probe = ' '.join(node.get('readinessProbe', {}).get('exec', {}).get('command', []))
        check(re.search(r'nebula --as \S+ await "@:\\"\$NEBULA_NODE\\""', probe) is not None,
              f'StatefulSet {name}: the readiness probe awaits this node, not under its name')
        check(env.get('NEBULA_COOKIE_FILE') == '/run/nebula/cookie'
              and any(v.get('secret') for v in pod['volumes']),
              f'StatefulSet {name}: the cookie comes from a Secret, as a file')
        check(svc in services, f'StatefulSet {name}: its Service {svc} exists')
    for p in [d for d in docs if d['kind'] == 'Pod']:
        spec = p['spec']
        node = next(c for c in spec['containers'] if c['name'] == 'node')
        nebula_node = env_of(node).get('NEBULA_NODE') or ''
        short = nebula_node.split('@')[0]
        want = f"{short}@{spec['hostname']}.{spec['subdomain']}.shop.svc.cluster.local"
        check(nebula_node == want, f"Pod {p['metadata']['name']}: NEBULA_NODE is {want}")
        expected.add(want)
        check(spec['subdomain'] in services,
              f"Pod {p['metadata']['name']}: its Service {spec['subdomain']} exists")
    for name, s in services.items():
        check(s['spec'].get('clusterIP') == 'None' and s['spec'].get('publishNotReadyAddresses'),
              f'Service {name} is headless and publishes not-ready pods')
    check(not [d for d in docs if d['kind'] in ('Deployment', 'ReplicaSet', 'Job', 'DaemonSet')],
          'no node runs in a pod with a random name (Deployment, ReplicaSet, Job, DaemonSet)')
    # The image build commands docs/deployment.md gives build every listed node.
    with open(os.path.join(root, 'docs/deployment.md')) as f:
        page = f.read()
    built = set()
    for m in re.finditer(r'--build-arg ([A-Z]+)_NODES="([^"]*)"', page):
        built.update(m.group(2).split())
    check(built == nodes, 'docs/deployment.md builds the images for exactly those nodes'
          + ('' if built == nodes else f' (built: {sorted(built)})'))
    check(expected == nodes, 'the pods are exactly the nodes of deploy/kubernetes/nebula.yaml'
          + ('' if expected == nodes else
             f' (only in shop.yaml: {sorted(expected - nodes)}; only in nebula.yaml: '
             f'{sorted(nodes - expected)})'))


def check_docker(root):
    print('== deploy/docker')
    with open(os.path.join(root, 'deploy/docker/nebula.yaml')) as f:
        nodes = yaml.safe_load(f)['nodes']
    with open(os.path.join(root, 'deploy/docker/compose.yaml')) as f:
        compose = yaml.safe_load(f)
    with open(os.path.join(root, 'deploy/docker/Dockerfile')) as f:
        dockerfile = f.read()
    by_short = {n.split('@')[0]: (n, spec) for n, spec in nodes.items()}
    check(set(by_short) == set(compose['services']),
          'compose has one service per node of deploy/docker/nebula.yaml')
    for role, svc in compose['services'].items():
        if role not in by_short:
            continue
        node, spec = by_short[role]
        ip = spec['address'].rsplit(':', 1)[0]
        check(svc['hostname'] == node.split('@')[1] and
              svc['networks']['shop']['ipv4_address'] == ip,
              f'compose {role}: host name and address of {node} ({ip})')
        check(svc['build']['target'] == role, f'compose {role}: built from Dockerfile stage {role}')
        m = re.search(r'ARG %s_NODES="([^"]*)"' % role.upper(), dockerfile)
        check(m is not None and m.group(1) == node, f'Dockerfile stage build-{role} builds {node}')
        m = re.search(r'FROM runtime AS %s\n(?:.*\n)*?ENV NEBULA_NODE=(\S+)' % role, dockerfile)
        check(m is not None and m.group(1) == node, f'Dockerfile stage {role} runs as {node}')
        test = svc.get('healthcheck', {}).get('test')
        if test:
            check(test[1:3] == ['nebula', '--as'] and f'@:"{node}"' in test,
                  f'compose {role}: the health check awaits {node}, not under its name')


def check_nebulac(root, nebulac):
    print('== nebulac')
    shop = os.path.join(root, 'examples/shop')
    sources = ['main.c', 'session.c', 'users.c', 'cache.c', 'jobs.c', 'health.c']
    for topo in ('deploy/docker/nebula.yaml', 'deploy/kubernetes/nebula.yaml'):
        r = subprocess.run([nebulac, '--topology', os.path.join(root, topo), '--explain'] + sources,
                           cwd=shop, capture_output=True, text=True)
        check(r.returncode == 0 and 'jobs_compress' in r.stdout,
              f'{topo} places the shop\'s APIs' + ('' if r.returncode == 0 else ': ' + r.stderr))


def check_systemd(root):
    print('== deploy/systemd')
    analyze = shutil.which('systemd-analyze')
    if not analyze:
        print('  skipped systemd-analyze is not installed')
        return
    with tempfile.TemporaryDirectory() as tmp:
        unit = os.path.join(tmp, 'nebula-node@db@db.shop.example.service')
        shutil.copy(os.path.join(root, 'deploy/systemd/nebula-node@.service'), unit)
        # --man=no: the man pages come with the packages, not the source tree.
        r = subprocess.run([analyze, 'verify', '--man=no', unit], cwd=tmp,
                           capture_output=True, text=True)
        said = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not said,
              'systemd-analyze verify: nothing to say about nebula-node@<node>.service'
              + ('' if not said else ':\n' + said))
        r = subprocess.run([analyze, 'security', '--offline=yes', '--no-pager', unit], cwd=tmp,
                           capture_output=True, text=True)
        level = re.search(r'Overall exposure level for \S+: (.*)', r.stdout)
        print('  info    systemd-analyze security: ' + (level.group(1) if level else r.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nebulac', required=True)
    ap.add_argument('--root', default=os.path.join(os.path.dirname(__file__), '..', '..'))
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    check_kubernetes(root)
    check_docker(root)
    check_nebulac(root, os.path.abspath(args.nebulac))
    check_systemd(root)
    print(f'{len(failures)} check(s) failed' if failures else 'deploy manifests: all checks passed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
