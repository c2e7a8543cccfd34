#!/usr/bin/env python3
"""Reports import cycles between the modules of Rust crates.

    scripts/import_cycles.py CRATE_DIR [CRATE_DIR ...]

A crate's modules come from its `src/` tree: `src/lib.rs` (or `src/main.rs` when there is no
library) is the root, `src/foo.rs` and `src/foo/mod.rs` are module `foo`, `src/foo/bar.rs` is
`foo::bar`, and inline `mod name { ... }` blocks nest inside their file's module. A module uses
another when it names it in a `use` (groups such as `use crate::{a, b::c}` included) or in a path
(`crate::a::f()`, `super::b::T`, `self::c::x`, or a child module's name). Names re-exported with
`pub use` resolve to the module they come from (`crate::Operator` -> `node` after
`pub use node::Operator;` in lib.rs).

A cycle is judged between siblings: every use from module `P` of module `Q` counts as an edge
between the two children of their deepest common ancestor that contain them (`a::x` using `b::y`
is an edge `a -> b`). A module using its own ancestor (`use super::*` in a child, `crate::Error`
defined in lib.rs) or descendant (a parent declaring and re-exporting its children) is not an edge.
So the check forbids `a -> b -> a` among top-level modules and among the children of any module,
which is what "no import cycle" means for a reader: each module can be read after the ones it uses.

Prints every cycle with the lines that make it and exits 1 if there is one; exits 0 otherwise.
Binaries (`src/main.rs` next to a `src/lib.rs`, `src/bin/`) are separate crates and left out.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
KEYWORDS = {"crate", "super", "self", "Self"}


def raw_start(text: str, i: int) -> bool:
    """Whether the `r` at `i` starts a raw string (`r"`, `r#"`, `br"`), not ends a name."""
    before = text[max(0, i - 2) : i]
    if before.endswith("b"):
        before = before[:-1]
    return not before or not re.match(r"\w", before[-1])


def strip_code(text: str) -> str:
    """Blanks comments, string and char literals (keeping newlines, so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and raw_start(text, i):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "b" and nxt == '"' and (i == 0 or not re.match(r"\w", text[i - 1]))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F}'); a lifetime ('a) is left alone.
            m = re.match(r"'(\\u\{[0-9A-Fa-f]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e as f}, self}` -> ["a::b", "a::c::d", "a::c::e", "a"]."""
    tree = re.sub(r"\s*(::|\{|\}|,)\s*", r"\1", re.sub(r"\s+", " ", tree.strip()))

    def split_top(s: str) -> list[str]:
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix: list[str], s: str) -> list[list[str]]:
        brace = s.find("{")
        if brace < 0:
            s = s.split(" as ")[0].strip()
            segs = [x for x in s.split("::") if x]
            if segs and segs[-1] == "*":
                segs = segs[:-1]
            if segs == ["self"]:
                return [prefix]
            return [prefix + segs]
        head = [x for x in s[:brace].split("::") if x]
        body = s[brace + 1 : s.rfind("}")]
        out = []
        for part in split_top(body):
            part = part.strip()
            if part:
                out.extend(walk(prefix + head, part))
        return out

    return ["::".join(p) for p in walk([], tree) if p]


class Crate:
    def __init__(self, root: Path):
        self.root = root
        src = root / "src"
        self.files: dict[tuple[str, ...], Path] = {}
        entry = src / "lib.rs" if (src / "lib.rs").exists() else src / "main.rs"
        if not entry.exists():
            raise SystemExit(f"{root}: no src/lib.rs or src/main.rs")
        for f in sorted(src.rglob("*.rs")):
            rel = f.relative_to(src)
            parts = list(rel.parts)
            if parts[0] == "bin" or (f != entry and rel.as_posix() in ("lib.rs", "main.rs")):
                continue
            if f == entry:
                path: tuple[str, ...] = ()
            else:
                parts[-1] = parts[-1][:-3]
                if parts[-1] == "mod":
                    parts.pop()
                path = tuple(parts)
            self.files[path] = f
        self.modules: set[tuple[str, ...]] = set(self.files)
        self.texts = {p: strip_code(f.read_text(encoding="utf-8")) for p, f in self.files.items()}
        # Inline modules and the module of every offset of every file.
        self.inline: dict[tuple[str, ...], list[tuple[int, int, tuple[str, ...]]]] = {}
        for path, text in self.texts.items():
            spans = []
            self._inline_mods(path, text, 0, len(text), spans)
            self.inline[path] = spans
            for _, _, p in spans:
                self.modules.add(p)
        for m in list(self.modules):
            for i in range(len(m)):
                self.modules.add(m[:i])
        self.reexports = defaultdict(dict)
        self.raw = []
        for path, text in self.texts.items():
            self._scan(path, text)

    def _inline_mods(self, path, text, start, end, spans):
        for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", text[start:end]):
            open_at = start + m.end() - 1
            # Nested inline modules come after the ones holding them: name them inside those.
            parent = path
            for s, e, p in spans:
                if s < open_at < e and len(p) > len(parent):
                    parent = p
            depth, j = 0, open_at
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            spans.append((open_at, j, parent + (m.group(1),)))

    def module_at(self, path, offset) -> tuple[str, ...]:
        best = path
        for s, e, p in self.inline[path]:
            if s < offset < e and len(p) > len(best):
                best = p
        return best

    def resolve(self, here, segs, depth=0):
        """The deepest module a path names, or None for a path outside the crate."""
        if not segs or depth > 8:
            return None
        first = segs[0]
        if first == "crate":
            cur, rest = (), segs[1:]
        elif first == "super":
            cur, rest = here, segs
            while rest and rest[0] == "super":
                cur, rest = cur[:-1], rest[1:]
        elif first == "self":
            cur, rest = here, segs[1:]
        elif here + (first,) in self.modules:
            cur, rest = here, segs
        else:
            return None
        for seg in rest:
            if cur + (seg,) in self.modules:
                cur = cur + (seg,)
            elif seg in self.reexports.get(cur, {}):
                from_here, from_segs = self.reexports[cur][seg]
                target = self.resolve(from_here, from_segs, depth + 1)
                return cur if target is None else target
            else:
                break
        return cur

    def _scan(self, path, text):
        """Records every use and path of a file: (module, segments, file, line)."""
        spans = []
        for m in re.finditer(r"\b(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]+);", text):
            here = self.module_at(path, m.start())
            spans.append((m.start(), m.end()))
            line = text.count("\n", 0, m.start()) + 1
            for p in expand_use(m.group(2)):
                segs = p.split("::")
                self.raw.append((here, segs, self.files[path], line))
                if m.group(1):
                    self.reexports[here][segs[-1]] = (here, segs)
        # Paths outside `use`: crate::, super::, self::, or a child module's name.
        for m in re.finditer(r"(?<![\w:])((?:" + IDENT + r"::)+" + IDENT + ")", text):
            if any(s <= m.start() < e for s, e in spans):
                continue
            segs = m.group(1).split("::")
            here = self.module_at(path, m.start())
            if segs[0] in KEYWORDS or here + (segs[0],) in self.modules:
                line = text.count("\n", 0, m.start()) + 1
                self.raw.append((here, segs, self.files[path], line))

    def edges(self):
        """Sibling edges: (parent, from_child, to_child) -> [(file, line)]."""
        out = defaultdict(list)
        for src, segs, f, line in self.raw:
            dst = self.resolve(src, segs)
            if dst is None:
                continue
            i = 0
            while i < len(src) and i < len(dst) and src[i] == dst[i]:
                i += 1
            if i == len(src) or i == len(dst):
                continue  # an ancestor or descendant (or itself)
            out[(src[:i], src[i], dst[i])].append((f, line))
        return out


def cycles(edges):
    """Strongly connected components of more than one module, per parent, as readable cycles."""
    graphs = defaultdict(lambda: defaultdict(set))
    for parent, a, b in edges:
        graphs[parent][a].add(b)
    found = []
    for parent, g in sorted(graphs.items()):
        index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

        def strong(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(g.get(v, ())):
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))

        for v in sorted(set(g) | {w for ws in g.values() for w in ws}):
            if v not in index:
                strong(v)
        for comp in comps:
            # One concrete cycle through the component, found by a walk inside it.
            start, members = comp[0], set(comp)
            path, seen = [start], {start}
            while True:
                nxt = sorted(w for w in g[path[-1]] if w in members)
                back = [w for w in nxt if w == start]
                if back and len(path) > 1:
                    break
                fresh = [w for w in nxt if w not in seen]
                if not fresh:
                    # Close at the first module already on the path.
                    w = nxt[0]
                    path = path[path.index(w):]
                    start = w
                    break
                path.append(fresh[0])
                seen.add(fresh[0])
            found.append((parent, comp, path + [start]))
    return found


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    status = 0
    for arg in argv[1:]:
        crate = Crate(Path(arg))
        edges = crate.edges()
        found = cycles(edges)
        if not found:
            n = len(crate.files)
            print(f"{arg}: no import cycle ({n} files, {len(edges)} module edges)")
            continue
        status = 1
        for parent, comp, cyc in found:
            where = "crate" if not parent else "crate::" + "::".join(parent)
            print(f"{arg}: import cycle in {where} among {', '.join(comp)}; one of them:")
            print(f"    {' -> '.join(cyc)}")
            for a, b in zip(cyc, cyc[1:]):
                for f, line in sorted(set(edges[(parent, a, b)]))[:3]:
                    print(f"    {a} -> {b}: {f}:{line}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
