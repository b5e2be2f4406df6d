#!/usr/bin/env python3
"""Compiles every ```c sample of README.md and docs/*.md, for every node.

usage: check_docs.py --nebulac NEBULAC --include NEBULA_INCLUDE_DIR
                     [--cc CC] [--root REPO] [--jobs N] [--keep] [--list] [FILE.md...]

A sample is one of three kinds, decided from its text:

  translation unit  it has #include lines: a whole source file, compiled as is;
  file scope        it defines a function (or starts with NB_STRUCT, NB_MODULE,
                    typedef, static, ...): compiled at file scope after
                    #include "prelude.h";
  statements        anything else: compiled as the body of a function, after
                    #include "prelude.h" (all of one page's go in one file).

Each is given to nebulac together with the APIs of prelude.c (split one per API,
leaving out those the sample defines itself) and docs_main.c, for every node of
tests/docs/nebula.yaml, and nebulac's output is compiled with
`cc -std=c11 -Wall -Wextra -Werror -c`. Errors are reported at the sample's own
page and line. A sample opts out with `<!-- not compiled: reason -->` on the
line right before its fence; the reason is required.

A block preceded by `<!-- excerpt of: DIR/FILE -->` is an excerpt of a file of
the repository, and `<!-- excerpt of: DIR/FILE as NODE -->` an excerpt of what
nebulac writes for FILE when it builds the sources of DIR (with DIR/nebula.yaml)
as NODE: every line of it but blank ones and those holding "..." must appear in
that file, in order (a trailing comment may be the page's own).

Exit status: 0 when every compiled sample built for every node, 1 otherwise.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

FENCE_OPEN = re.compile(r'^(\s*)```c\s*$')
OPT_OUT = re.compile(r'^\s*<!--\s*not compiled:\s*(.*?)\s*-->\s*$')
EXCERPT = re.compile(r'^\s*<!--\s*excerpt of:\s*(\S+)(?:\s+as\s+(\S+))?\s*-->\s*$')
TRAILING_COMMENT = re.compile(r'\s*/\*[^"]*\*/\s*$')
INCLUDE = re.compile(r'^\s*#\s*include\b')
# A function definition's first line, at column 0: a type of one or more words
# (and stars) before the name, a parameter list closed on the same line.
FUNC_DEF = re.compile(r'^(?!(?:if|for|while|switch|return|else|do|case)\b)'
                      r'[A-Za-z_][\w \t*]*?[ \t*]\**[A-Za-z_]\w*\s*\([^;=]*\)\s*(\{.*)?$')
FILE_SCOPE_START = re.compile(r'^(NB_STRUCT|NB_MODULE|NB_API|typedef|struct|enum|union|'
                              r'static|extern|#\s*(if|define))\b')
API_DEF = re.compile(r'NB_API\s*\([^)]*\)\s*[^;{(]*?\b([A-Za-z_]\w*)\s*\(')
STRUCT_DEF = re.compile(r'NB_STRUCT\s+(typedef\s+)?struct\s+(\w+)?\s*\{.*?\}\s*(\w+)?\s*;', re.S)


def strip_comments(text):
    """text without /* */ and // comments (string literals are left alone)."""
    return re.sub(r'"(?:\\.|[^"\\])*"|/\*.*?\*/|//[^\n]*',
                  lambda m: m.group(0) if m.group(0).startswith('"') else ' ', text, flags=re.S)


class Block:
    """One ```c block of a page."""

    def __init__(self, page, line, lines, opt_out, excerpt=None):
        self.page = page          # path relative to the repository, for messages
        self.line = line          # 1-based line of the opening fence
        self.lines = lines        # the code, without the fences
        self.opt_out = opt_out    # the reason, or None
        self.excerpt = excerpt    # (path, node or None) for an excerpt, or None

    def kind(self):
        if any(INCLUDE.match(l) for l in self.lines):
            return 'tu'
        code = [l for l in self.lines if l.strip() and not l.lstrip().startswith(('/*', '*', '//'))]
        if code and FILE_SCOPE_START.match(code[0]):
            return 'file'
        for i, l in enumerate(self.lines):
            if FUNC_DEF.match(l):
                rest = [x for x in self.lines[i + 1:] if x.strip()]
                if l.rstrip().endswith('{') or (rest and rest[0].startswith('{')):
                    return 'file'
        return 'stmt'


def read_blocks(path, shown):
    """Every ```c block of the page at path; `shown` names it in messages."""
    blocks, errors = [], []
    with open(path, encoding='utf-8') as f:
        text = f.read().split('\n')
    i = 0
    while i < len(text):
        m = FENCE_OPEN.match(text[i])
        if not m:
            i += 1
            continue
        start, indent = i, m.group(1)
        j = i + 1
        while j < len(text) and text[j].strip() != '```':
            j += 1
        if j == len(text):
            errors.append('%s:%d: error: unterminated ```c block' % (shown, start + 1))
            break
        before = text[start - 1] if start > 0 else ''
        opt, exc = OPT_OUT.match(before), EXCERPT.match(before)
        reason = opt.group(1) if opt else None
        if opt and not reason:
            errors.append('%s:%d: error: "not compiled" needs a reason' % (shown, start))
        lines = [l[len(indent):] if l.startswith(indent) else l for l in text[start + 1:j]]
        blocks.append(Block(shown, start + 1, lines, reason,
                            (exc.group(1), exc.group(2)) if exc else None))
        i = j + 1
    return blocks, errors


class Unit:
    """One source file given to nebulac and compiled: a sample, or a page's
    statement fragments together. lmap maps its lines to (page, line)."""

    def __init__(self, name, text, lmap, blocks):
        self.name = name
        self.text = text
        self.lmap = lmap
        self.blocks = blocks
        code = strip_comments(text)
        self.apis = set(API_DEF.findall(code))
        self.structs = set()
        for m in STRUCT_DEF.finditer(code):
            if m.group(2):
                self.structs.add('struct ' + m.group(2))
            if m.group(3):
                self.structs.add(m.group(3))

    def where(self):
        return ', '.join('%s:%d' % (b.page, b.line) for b in self.blocks)


def unit_name(page, line, kind):
    return re.sub(r'[^\w]', '_', page) + '_L%d_%s' % (line, kind)


def make_units(blocks):
    units, stmts = [], {}
    for b in blocks:
        if b.opt_out is not None or b.excerpt is not None:
            continue
        kind = b.kind()
        if kind == 'stmt':
            stmts.setdefault(b.page, []).append(b)
            continue
        out, lmap = [], {}
        if kind == 'file':
            out.append('#include "prelude.h"')
            lmap[1] = (b.page, b.line)
        for k, l in enumerate(b.lines):
            out.append(l)
            lmap[len(out)] = (b.page, b.line + 1 + k)
        units.append(Unit(unit_name(b.page, b.line, kind), '\n'.join(out) + '\n', lmap, [b]))
    for page, group in stmts.items():
        out, lmap = ['#include "prelude.h"'], {1: (page, group[0].line)}
        for b in group:
            fn = 'nb_docs_fragment_%d' % b.line
            for l in ('', 'int %s(void);' % fn, 'int %s(void)' % fn, '{'):
                out.append(l)
                lmap[len(out)] = (page, b.line)
            for k, l in enumerate(b.lines):
                out.append(l)
                lmap[len(out)] = (page, b.line + 1 + k)
            for l in ('return 0;', '}'):
                out.append(l)
                lmap[len(out)] = (page, b.line + len(b.lines) + 1)
        units.append(Unit(unit_name(page, group[0].line, 'statements'), '\n'.join(out) + '\n',
                          lmap, group))
    return units


def split_prelude(path, header_structs):
    """prelude.c as one source per API: (api, text, structs its headers define)."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')

    def starts_chunk(i):
        if not lines[i].startswith('#include "') or (i > 0 and lines[i - 1].strip()):
            return False
        k = i
        while k < len(lines) and lines[k].startswith('#include'):
            k += 1
        return k < len(lines) and lines[k].startswith('NB_API')

    starts = [i for i in range(len(lines)) if starts_chunk(i)]
    chunks = []
    for n, s in enumerate(starts):
        e = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = '\n'.join(lines[s:e])
        api = API_DEF.search(strip_comments(body))
        if not api:
            sys.exit('%s:%d: error: no NB_API definition in this paragraph' % (path, s + 1))
        structs = set()
        for h in re.findall(r'#include "([^"]+)"', body):
            structs |= header_structs.get(h, set())
        text = '\n'.join(lines[:starts[0]] + [''] * (s - starts[0]) + lines[s:e]) + '\n'
        chunks.append((api.group(1), text, structs, body))
    return chunks


def header_structs(include_dir):
    """The NB_STRUCT names each docs header defines (with what it includes)."""
    direct, includes = {}, {}
    for h in os.listdir(include_dir):
        with open(os.path.join(include_dir, h), encoding='utf-8') as f:
            text = strip_comments(f.read())
        names = set()
        for m in STRUCT_DEF.finditer(text):
            names |= {x for x in (m.group(3), m.group(2) and 'struct ' + m.group(2)) if x}
        direct[h] = names
        includes[h] = re.findall(r'#include "([^"]+)"', text)
    def closure(h, seen):
        if h in seen or h not in direct:
            return set()
        seen.add(h)
        names = set(direct[h])
        for i in includes[h]:
            names |= closure(i, seen)
        return names
    return {h: closure(h, set()) for h in direct}


def topology_nodes(path):
    with open(path, encoding='utf-8') as f:
        return re.findall(r'^\s*"([a-z_][a-z0-9_]*@[^"]+)"\s*:', f.read(), re.M)


class Checker:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.topology = os.path.join(HERE, 'nebula.yaml')
        self.nodes = topology_nodes(self.topology)
        shutil.copytree(os.path.join(HERE, 'include'), os.path.join(work, 'include'))
        shutil.copy(os.path.join(HERE, 'prelude.h'), work)
        shutil.copy(os.path.join(HERE, 'docs_main.c'), work)
        os.makedirs(os.path.join(work, 'prelude'))
        os.makedirs(os.path.join(work, 'samples'))
        hs = header_structs(os.path.join(HERE, 'include'))
        self.chunks = split_prelude(os.path.join(HERE, 'prelude.c'), hs)
        for api, text, _, _ in self.chunks:
            with open(os.path.join(work, 'prelude', api + '.c'), 'w', encoding='utf-8') as f:
                f.write(text)

    def prelude_for(self, unit):
        """The prelude sources a unit is built with: all but those it replaces."""
        keep = []
        for api, _, structs, body in self.chunks:
            if api in unit.apis or structs & unit.structs:
                continue
            if any(re.search(r'\b%s\b' % re.escape(s.split()[-1]), body) for s in unit.structs):
                continue
            keep.append('prelude/%s.c' % api)
        return keep

    def remap(self, unit, text):
        """Rewrites generated paths in compiler output to the pages and lines."""
        src = 'samples/%s.c' % unit.name

        def sample(m):
            line = int(m.group(1))
            page, at = unit.lmap.get(line, (unit.blocks[0].page, unit.blocks[0].line))
            return '%s:%d' % (page, at)
        text = re.sub(r'(?:\S*/)?%s:(\d+)' % re.escape(src), sample, text)
        text = re.sub(r'(?:\S*/)?%s' % re.escape(src), unit.blocks[0].page, text)
        text = re.sub(r'(?:\S*/)?prelude/\w+\.c:', 'tests/docs/prelude.c:', text)
        text = re.sub(r'(?<![\w/])include/(\w+\.h)', r'tests/docs/include/\1', text)
        return text

    def build(self, unit, node):
        """nebulac, then each compiler, for one unit and node: None, or the
        failure's text."""
        out = os.path.join('out', unit.name, node)
        src = 'samples/%s.c' % unit.name
        cmd = [self.args.nebulac, '--topology', self.topology, '--node', node, '--out', out,
               '-I', '.', '-I', 'include', src] + self.prelude_for(unit) + ['docs_main.c']
        r = subprocess.run(cmd, cwd=self.work, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return 'nebulac --node %s failed:\n%s' % (node, self.remap(unit, r.stderr + r.stdout))
        for compiler in self.args.cc:
            cc = [compiler, '-std=c11', '-Wall', '-Wextra', '-Werror', '-c',
                  os.path.join(out, src), '-o', os.devnull,
                  '-I', os.path.join(out, 'include'), '-I', out, '-I', 'include', '-I', '.',
                  '-I', self.args.include]
            r = subprocess.run(cc, cwd=self.work, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                return '%s (as %s) failed:\n%s' % (os.path.basename(compiler), node,
                                                    self.remap(unit, r.stderr + r.stdout))
        return None

    def excerpt_source(self, path, node):
        """The lines an excerpt is compared with: a repository file, or nebulac's
        output for it. Returns (lines, None) or (None, why)."""
        root = self.args.root
        if node is None:
            with open(os.path.join(root, path), encoding='utf-8') as f:
                return f.read().split('\n'), None
        project = os.path.join(root, os.path.dirname(path))
        out = os.path.join(self.work, 'excerpts', os.path.dirname(path), node)
        if not os.path.isdir(out):
            sources = sorted(p for p in os.listdir(project) if p.endswith('.c'))
            cmd = [self.args.nebulac, '--topology', 'nebula.yaml', '--node', node,
                   '--out', out] + sources
            r = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                return None, 'nebulac failed in %s:\n%s' % (project, r.stderr)
        target = os.path.join(out, os.path.basename(path))
        if not os.path.exists(target):
            return None, 'nebulac wrote no %s' % os.path.basename(path)
        with open(target, encoding='utf-8') as f:
            return f.read().split('\n'), None

    def check_excerpt(self, b):
        """None when every line of excerpt b is in its source, in order."""
        path, node = b.excerpt
        source, why = self.excerpt_source(path, node)
        what = path + (' as built for ' + node if node else '')
        if source is None:
            return '%s:%d: error: %s' % (b.page, b.line, why)
        norm = [' '.join(l.split()) for l in source]
        at = 0
        for k, line in enumerate(b.lines):
            if not line.strip() or '...' in line:
                continue
            wanted = [' '.join(line.split()), ' '.join(TRAILING_COMMENT.sub('', line).split())]
            found = next((i for i in range(at, len(norm)) if norm[i] in wanted), None)
            if found is None:
                return ('%s:%d: error: not in %s (or not in this order):\n    %s'
                        % (b.page, b.line + 1 + k, what, line.strip()))
            at = found + 1
        return None

    def run(self, units):
        for u in units:
            with open(os.path.join(self.work, 'samples', u.name + '.c'), 'w',
                      encoding='utf-8') as f:
                f.write(u.text)
        jobs = [(u, n) for u in units for n in self.nodes]
        failed = {}
        with concurrent.futures.ThreadPoolExecutor(self.args.jobs) as pool:
            results = pool.map(lambda job: (job, self.build(*job)), jobs)
            for (u, node), err in results:
                if err is not None:
                    failed.setdefault(u.name, []).append((node, err))
        return failed


def implicated(unit, text):
    """The blocks of unit that a failure's text points into (all when none)."""
    hit = []
    for b in unit.blocks:
        for m in re.finditer(r'%s:(\d+)' % re.escape(b.page), text):
            if b.line <= int(m.group(1)) <= b.line + len(b.lines) + 1 and b not in hit:
                hit.append(b)
    return hit or unit.blocks


def report(units, failed):
    """Prints each failure once per distinct text; returns the failing blocks."""
    bad = []
    for u in units:
        seen = set()
        for node, err in failed.get(u.name, []):
            head, body = err.split('\n', 1)
            if body in seen:
                continue
            seen.add(body)
            blocks = implicated(u, body)
            bad += [b for b in blocks if b not in bad]
            where = ', '.join('%s:%d' % (b.page, b.line) for b in blocks)
            print('FAIL %s: %s\n%s' % (where, head, body.rstrip()))
    return bad


def read_pages(args):
    pages = args.pages or (['README.md'] + sorted(
        os.path.join('docs', p) for p in os.listdir(os.path.join(args.root, 'docs'))
        if p.endswith('.md')))
    blocks, errors = [], []
    for p in pages:
        path = os.path.abspath(p if os.path.isabs(p) or os.path.exists(p)
                               else os.path.join(args.root, p))
        shown = os.path.relpath(path, args.root) if path.startswith(args.root + os.sep) else p
        b, e = read_blocks(path, shown)
        blocks += b
        errors += e
    return pages, blocks, errors


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nebulac', required=True)
    ap.add_argument('--include', required=True, help="the directory holding nebula.h")
    ap.add_argument('--cc', action='append',
                    help="a C compiler to build with; repeat for several (default: $CC or cc)")
    ap.add_argument('--root', default=os.path.join(HERE, '..', '..'))
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--keep', action='store_true', help="keep the work directory")
    ap.add_argument('--list', action='store_true', help="print each block's kind and stop")
    ap.add_argument('pages', nargs='*', help="default: README.md and docs/*.md of --root")
    args = ap.parse_args()
    args.cc = args.cc or [os.environ.get('CC', 'cc')]
    args.nebulac = os.path.abspath(args.nebulac)
    args.include = os.path.abspath(args.include)
    args.root = os.path.abspath(args.root)
    return args


def describe(b):
    if b.opt_out is not None:
        return 'not compiled: ' + b.opt_out
    if b.excerpt is not None:
        return 'excerpt of %s%s' % (b.excerpt[0], ' as ' + b.excerpt[1] if b.excerpt[1] else '')
    return b.kind()


def main():
    args = parse_args()
    pages, blocks, errors = read_pages(args)
    for e in errors:
        print(e)
    if not blocks:
        print('error: no ```c block found in %s' % ', '.join(pages))
        return 1
    if args.list:
        for b in blocks:
            print('%s:%d: %s' % (b.page, b.line, describe(b)))
        return 1 if errors else 0

    units = make_units(blocks)
    excerpts = [b for b in blocks if b.excerpt is not None and b.opt_out is None]
    skipped = [b for b in blocks if b.opt_out is not None]
    work = tempfile.mkdtemp(prefix='nebula-docs-')
    try:
        checker = Checker(args, work)
        failed = checker.run(units)
        stale = [e for e in (checker.check_excerpt(b) for b in excerpts) if e]
    finally:
        if args.keep:
            print('work directory kept: %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    bad = report(units, failed)
    for e in stale:
        print('FAIL ' + e)
    print('%d C block(s) in %d page(s): %d sample(s) compiled for %s; %d excerpt(s) '
          'checked against their source; %d not compiled%s'
          % (len(blocks), len(pages), len(blocks) - len(skipped) - len(excerpts),
             ', '.join(checker.nodes) + ' with ' + ', '.join(map(os.path.basename, args.cc)),
             len(excerpts), len(skipped),
             ''.join('\n  %s:%d: %s' % (b.page, b.line, b.opt_out) for b in skipped)))
    if bad or stale or errors:
        print('%d sample(s) failed to build, %d excerpt(s) differ from their source, '
              '%d error(s) in the pages' % (len(bad), len(stale), len(errors)))
        return 1
    print('all samples build and all excerpts match')
    return 0


if __name__ == '__main__':
    sys.exit(main())
