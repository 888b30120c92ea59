"""What an expression may evaluate to: names, strings, containers, namespaces, frames."""

from __future__ import annotations

import ast
from collections.abc import Callable

from self_improving_agent.analysis.code_scan.folding import decode, format_reads, slice_text
from self_improving_agent.analysis.code_scan.store import Store
from self_improving_agent.analysis.code_scan.values import (
    EMPTY,
    FRAME_ATTRS,
    FRAME_SOURCES,
    GETATTR_FUNCS,
    MAX_DEPTH,
    NAMESPACE_GETTERS,
    UNKNOWN_STR,
    Values,
    canonical,
    is_dotted,
    strings,
)

STRING_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold", "decode", "encode"}
    | {"join", "format", "split", "replace"}
)
TYPE_OBJECTS = frozenset({"builtins.object", "builtins.type", "types.ModuleType"})
Getter = Callable[..., "Values"]


class Resolver(Store):
    """The value store and the rules that give an expression its values."""

    def fold(self, node: ast.expr) -> list[str] | None:
        """The strings an expression may be, or None when any is unknown."""
        return strings(self.resolve(node))

    # ---- expressions ----------------------------------------------------------------------
    def resolve(self, node: ast.expr, depth: int = 0) -> Values:
        """Every value an expression may have (empty when nothing is known)."""
        if depth > MAX_DEPTH:
            return EMPTY
        if self.memo is None:
            return self._resolve(node, depth)
        found = self.memo.get(id(node))
        if found is None:
            found = self.memo[id(node)] = self._resolve(node, depth)
        return found

    def _resolve(self, node: ast.expr, depth: int) -> Values:
        """resolve without the memo."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str | bytes):
                text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
                return frozenset({f"'{text}"})
            return EMPTY
        if isinstance(node, ast.Name):
            return self.lookup(node.id, node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, depth)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, depth)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.resolve(e, depth + 1) for e in node.elts]
            stars = [isinstance(e, ast.Starred) for e in node.elts]
            return frozenset({self.seq(node, items, stars)})
        if isinstance(node, ast.Dict):
            items = [self.resolve(v, depth + 1) for v in node.values]
            return frozenset({self.seq(node, items, [k is None for k in node.keys])})
        if isinstance(node, ast.IfExp):
            return self.resolve(node.body, depth + 1) | self.resolve(node.orelse, depth + 1)
        if isinstance(node, ast.BoolOp):
            return frozenset().union(*(self.resolve(v, depth + 1) for v in node.values))
        if isinstance(node, ast.NamedExpr | ast.Starred | ast.Await):
            return self.resolve(node.value, depth + 1)
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return frozenset({self.seq(node, [self.resolve(node.elt, depth + 1)], [True])})
        if isinstance(node, ast.Lambda):
            return frozenset({f"<lambda>{id(node)}"})
        return EMPTY

    def _attribute(self, node: ast.Attribute, depth: int) -> Values:
        """base.attr for each dotted base, frame and namespace attributes, attribute stores."""
        found: set[str] = set(self.read(("attr", node.attr)))
        attr = node.attr
        if attr in FRAME_ATTRS:
            found.add("<frame>")
        if attr == "__globals__":
            found.add("<ns>?")
        for base in self.resolve(node.value, depth + 1):
            if base == "<frame>":
                found.add({"f_builtins": "<ns>builtins", "f_back": "<frame>"}.get(attr, "<ns>?"))
            elif attr == "__dict__" and is_dotted(base):
                found.add(f"<ns>{base}")
            elif attr == "__getattribute__" and base in TYPE_OBJECTS:
                found.add("builtins.object.__getattribute__")
            elif attr == "__getattribute__" and is_dotted(base):
                found.add(f"<getattr>{base}")
            elif base.startswith("<ns>") and attr in NAMESPACE_GETTERS:
                found.add(f"<nsget>{base[4:]}")
            elif base.startswith("'") and attr in STRING_METHODS:
                found.add(f"<strm>{attr}:{base}")
            elif base.startswith("<seq>") and attr in ("get", "pop", "setdefault", "__getitem__"):
                found.add(f"<seqget>{base}")
            elif is_dotted(base):
                found.add(canonical(f"{base}.{attr}"))
        return frozenset(found)

    def _binop(self, node: ast.BinOp, depth: int) -> Values:
        """String concatenation and % formatting, folded without recursion on long chains."""
        chain: list[ast.expr] = []
        current: ast.expr = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            chain.append(current.right)
            current = current.left
        if current is node:
            if isinstance(node.op, ast.Mod):
                return self._percent(node, depth)
            return EMPTY
        chain.append(current)
        chain.reverse()
        acc: Values = self.resolve(chain[0], depth + 1)
        for step, part in enumerate(chain[1:]):
            acc = self.concat(node, acc, self.resolve(part, depth + 1), step)
        return acc

    def _percent(self, node: ast.BinOp, depth: int) -> Values:
        """'%s' % x folded when every part is known."""
        formats = strings(self.resolve(node.left, depth + 1))
        if formats is None:
            return EMPTY
        right = node.right
        parts = right.elts if isinstance(right, ast.Tuple) else [right]
        values = [strings(self.resolve(p, depth + 1)) for p in parts]
        if any(v is None or len(v) != 1 for v in values):
            return frozenset({UNKNOWN_STR})
        args = tuple(v[0] for v in values if v)
        try:
            return frozenset(f"'{f % args}" for f in formats)
        except (TypeError, ValueError):
            return frozenset({UNKNOWN_STR})

    def _fstring(self, node: ast.JoinedStr, depth: int) -> Values:
        """An f-string whose every part is known."""
        acc: list[str] = [""]
        for value in node.values:
            part = value.value if isinstance(value, ast.FormattedValue) else value
            texts = strings(self.resolve(part, depth + 1))
            if texts is None or len(acc) * len(texts) > 64:
                return frozenset({UNKNOWN_STR})
            acc = [a + b for a in acc for b in texts]
        return frozenset(f"'{text}" for text in acc)

    def _subscript(self, node: ast.Subscript, depth: int) -> Values:
        """Namespaces and sys.modules by key, container elements, string slices, generics."""
        found: set[str] = set()
        bases = self.resolve(node.value, depth + 1)
        keys = strings(self.resolve(node.slice, depth + 1)) if bases else None
        for base in bases:
            found |= self._index(node, base, keys, depth)
        return frozenset(found)

    def _index(self, node: ast.Subscript, base: str, keys: list[str] | None, depth: int) -> Values:
        """One base indexed by known keys (or None)."""
        if base.startswith("<ns>") or base == "sys.modules":
            return self.namespace_get(base, keys)
        if base == "builtins":
            return self.namespace_get("<ns>builtins", keys)
        if base.startswith("<seq>"):
            seq = self.seq_items(base)
            index = node.slice
            if (
                isinstance(index, ast.Constant)
                and isinstance(index.value, int)
                and not any(seq.starred)
            ):
                position = index.value
                if -len(seq.items) <= position < len(seq.items):
                    return seq.items[position]
            return seq.union()
        if base.startswith("'") and base != UNKNOWN_STR and isinstance(node.slice, ast.Slice):
            return slice_text(base[1:], node.slice)
        if is_dotted(base):
            return frozenset({base})
        return EMPTY

    def namespace_get(self, base: str, keys: list[str] | None) -> Values:
        """What a namespace (module dict, sys.modules, frame globals) holds under keys."""
        if keys is None:
            return frozenset({f"<computed>{base}"})
        found: set[str] = set()
        for key in keys:
            if base == "sys.modules":
                found.add(canonical(key))
            elif base == "<ns>.":
                found |= self.module_name(key)
            elif base == "<ns>?":
                found |= {"builtins"} if key == "__builtins__" else set()
                found |= self.module_name(key)
                found.add(canonical(key))
                found.add(f"builtins.{key}")
            elif base == "<ns>builtins" and key == "__builtins__":
                found.add("builtins")
            else:
                found.add(canonical(f"{base[4:]}.{key}"))
        return frozenset(found)

    def _call(self, node: ast.Call, depth: int) -> Values:
        """What a call returns, for the calls that name or reach something."""
        found: set[str] = set()
        funcs = self.resolve(node.func, depth + 1)
        args = node.args

        def arg_values(index: int, name: str | None = None) -> Values:
            if index < len(args) and not isinstance(args[index], ast.Starred):
                return self.resolve(args[index], depth + 1)
            kw = next((k.value for k in node.keywords if name and k.arg == name), None)
            return self.resolve(kw, depth + 1) if kw is not None else EMPTY

        for func in funcs:
            found |= self._call_one(node, func, arg_values, depth)
        if isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            found |= self.read(("ret", name))
        return frozenset(found)

    def _call_one(self, node: ast.Call, func: str, get: Getter, depth: int) -> Values:
        """The values one possible callee returns."""
        if func in GETATTR_FUNCS:
            return self._getattr(get(0), get(1))
        if func.startswith("<getattr>"):
            return self._getattr(frozenset({func[9:]}), get(0))
        if func == "builtins.vars":
            return frozenset({f"<ns>{v}" for v in get(0) if is_dotted(v)} or {"<ns>."})
        if func in ("builtins.globals", "builtins.locals"):
            return frozenset({"<ns>."})
        if func.startswith("<nsget>"):
            return self.namespace_get(f"<ns>{func[7:]}", strings(get(0)))
        if func == "sys.modules.get":
            return self.namespace_get("sys.modules", strings(get(0)))
        if func.startswith("<seqget>"):
            return self.seq_items(func[8:]).union()
        if func in ("importlib.import_module", "pkgutil.resolve_name", "builtins.__import__"):
            names = strings(get(0, "name"))
            if names is None:
                return frozenset({f"<computed>{func}"})
            if func == "builtins.__import__":
                return frozenset(canonical(n.partition(".")[0]) for n in names)
            return frozenset(canonical(n.replace(":", ".")) for n in names)
        if func in ("operator.attrgetter", "operator.methodcaller"):
            kind = "getter" if func.endswith("attrgetter") else "caller"
            names = strings(get(0))
            return frozenset(f"<{kind}>{n}" for n in names) if names else frozenset({f"<{kind}>?"})
        if func.startswith("<getter>"):
            return self._getattr(get(0), frozenset({f"'{func[8:]}"} if func[8:] != "?" else {}))
        if func in FRAME_SOURCES:
            return frozenset({"<frame>"})
        if func == "functools.partial":
            return get(0)
        if func.startswith("<lambda>"):
            return self.read((func, "ret"))
        if func == "shutil.which":
            return frozenset(v for v in get(0) if v.startswith("'"))
        if func in ("shlex.split", "builtins.str.split"):
            texts = strings(get(0))
            return frozenset(self.split_command(node, t) for t in texts) if texts else EMPTY
        if func.startswith("<strm>"):
            return self._string_method(node, func, get, depth)
        if func in ("codecs.decode", "base64.b64decode", "bytes.fromhex", "builtins.bytes.fromhex"):
            return decode(func, get(0), get(1))
        if func in ("builtins.list", "builtins.tuple") and len(node.args) == 1:
            return frozenset(v for v in get(0) if v.startswith("<seq>"))
        if func in ("builtins.str", "builtins.bytes") and node.args:
            return frozenset(v for v in get(0) if v.startswith("'"))
        if is_dotted(func) and not func.startswith("builtins."):
            return frozenset({canonical(f"{func}()")})
        return EMPTY

    def _getattr(self, bases: Values, names: Values) -> Values:
        """getattr(base, name) for known names; a computed name on a dotted base is marked."""
        found: set[str] = set()
        keys = strings(names)
        for base in bases:
            if not is_dotted(base):
                continue
            if keys is None:
                found.add(f"<computed>{base}")
            else:
                found |= {canonical(f"{base}.{k}") for k in keys}
        return frozenset(found)

    def _string_method(self, node: ast.Call, func: str, get: Getter, depth: int) -> Values:
        """'x'.join([...]), '{}'.format(...), .split(), .replace(), .decode() on known strings."""
        method, _, base = func[6:].partition(":")
        text = base[1:]
        if method == "split":
            return frozenset({self.split_command(node, text)})
        if method == "join":
            items = self.elements(get(0))
            seqs = [self.seq_items(v) for v in get(0) if v.startswith("<seq>")]
            if len(seqs) != 1 or any(seqs[0].starred):
                return frozenset({UNKNOWN_STR})
            parts = [strings(item) for item in seqs[0].items]
            if any(p is None or len(p) != 1 for p in parts) or not items:
                return frozenset({UNKNOWN_STR})
            return frozenset({"'" + text.join(p[0] for p in parts if p)})
        if method in ("decode", "encode"):
            return frozenset({base})
        if method == "format" and "{" in text:
            reached = format_reads(node, text, lambda n: self.resolve(n, depth + 1))
            if reached:
                return reached
        if method in ("format", "replace"):
            values = [strings(self.resolve(a, depth + 1)) for a in node.args]
            if any(v is None or len(v) != 1 for v in values) or node.keywords:
                return frozenset({UNKNOWN_STR})
            flat = [v[0] for v in values if v]
            try:
                if method == "format":
                    done = text.format(*flat)
                else:
                    done = text.replace(flat[0], flat[1]) if len(flat) == 2 else text
            except (IndexError, KeyError, ValueError, TypeError):
                return frozenset({UNKNOWN_STR})
            return frozenset({f"'{done}"})
        return frozenset({f"'{getattr(text, method)()}"})
