#!/usr/bin/env python3
"""Prints CommandDef initializers (Commands/*.cs style) for commands as a running redis-server
describes them in COMMAND INFO and COMMAND DOCS, so our metadata matches Redis's exactly
(CommandIntrospectionTests compares every registered command with the oracle).

usage: tools/command_metadata.py PORT get,set,object [get=Get,object|encoding=ObjectEncoding]
"""
import socket, sys

def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    return s, s.makefile("rb")

def call(conn, *args):
    s, f = conn
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    return read(f)

def read(f):
    line = f.readline().rstrip(b"\r\n")
    t, rest = line[:1], line[1:]
    if t in (b"+", b"-"): return rest.decode()
    if t == b":": return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0: return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [read(f) for _ in range(n)]
    raise ValueError(line)

def pairs(flat):
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}

def pascal(name):
    special = {"ro": "RO", "rw": "RW", "ow": "OW", "rm": "RM", "readonly": "ReadOnly", "denyoom": "DenyOom",
               "noscript": "NoScript", "movablekeys": "MovableKeys", "oneof": "OneOf"}
    if name.lower() in special: return special[name.lower()]
    return "".join(p[:1].upper() + p[1:] for p in name.replace("-", "_").split("_"))

def cs(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def flags(enum, names):
    return " | ".join(f"{enum}.{pascal(n)}" for n in names) if names else None

def keyspec(spec):
    spec = pairs(spec)
    bs, fk = pairs(spec["begin_search"]), pairs(spec["find_keys"])
    if bs["type"] == "index":
        begin = f"BeginSearch.ByIndex({pairs(bs['spec'])['index']})"
    elif bs["type"] == "keyword":
        k = pairs(bs["spec"])
        begin = f"BeginSearch.ByKeyword({cs(k['keyword'])}, {k['startfrom']})"
    else:
        begin = "BeginSearch.Unknown"
    if fk["type"] == "range":
        k = pairs(fk["spec"])
        find = f"FindKeys.Range({k['lastkey']}, {k['keystep']}, {k['limit']})"
    elif fk["type"] == "keynum":
        k = pairs(fk["spec"])
        find = f"FindKeys.KeyNum({k['keynumidx']}, {k['firstkey']}, {k['keystep']})"
    else:
        find = "FindKeys.Unknown"
    text = f"new({flags('KeySpecFlags', spec['flags']) or 'KeySpecFlags.None'}, {begin}, {find})"
    if spec.get("notes"): text += " { Notes = " + cs(spec["notes"]) + " }"
    return text

def argument(arg, indent):
    a = pairs(arg)
    pad = " " * indent
    inits = []
    if "key_spec_index" in a: inits.append(f"KeySpecIndex = {a['key_spec_index']}")
    if "token" in a: inits.append(f"Token = {cs(a['token'])}")
    if "summary" in a: inits.append(f"Summary = {cs(a['summary'])}")
    if "since" in a: inits.append(f"Since = {cs(a['since'])}")
    if "deprecated_since" in a: inits.append(f"DeprecatedSince = {cs(a['deprecated_since'])}")
    if a.get("flags"): inits.append(f"Flags = {flags('ArgFlags', a['flags'])}")
    head = f"{pad}new({cs(a['name'])}, ArgType.{pascal(a['type'])})"
    if "arguments" not in a:
        return head + (" { " + ", ".join(inits) + " }" if inits else "") + ","
    lines = [head, pad + "{"]
    lines += [pad + "    " + i + "," for i in inits]
    lines.append(pad + "    Arguments =")
    lines.append(pad + "    [")
    lines += [argument(x, indent + 8) for x in a["arguments"]]
    lines.append(pad + "    ],")
    lines.append(pad + "},")
    return "\n".join(lines)

def command(info, docs, procs, parent=None, indent=8):
    name = info[0].split("|")[-1]
    full = info[0]
    pad = " " * indent
    target = f"{parent}.AddSubcommand(new()" if parent else "t.Add(new()"
    out = [pad + target, pad + "{"]
    line = f"Name = {cs(name)}, Arity = {info[1]}"
    if info[2]: line += f", Flags = {flags('CommandFlags', info[2])}"
    line += ", Categories = [" + ", ".join(cs(c) for c in info[6]) + "]"
    out.append(pad + "    " + line + ",")
    if info[3] or info[4] or info[5]:
        out.append(pad + f"    FirstKey = {info[3]}, LastKey = {info[4]}, KeyStep = {info[5]},")
    if full in procs: out.append(pad + f"    Proc = {procs[full]},")
    out.append(pad + f"    Group = {cs(docs['group'])}, Since = {cs(docs['since'])},")
    out.append(pad + f"    Summary = {cs(docs['summary'])},")
    if "complexity" in docs: out.append(pad + f"    Complexity = {cs(docs['complexity'])},")
    if docs.get("doc_flags"): out.append(pad + f"    DocFlags = {flags('DocFlags', docs['doc_flags'])},")
    if "deprecated_since" in docs: out.append(pad + f"    DeprecatedSince = {cs(docs['deprecated_since'])},")
    if "replaced_by" in docs: out.append(pad + f"    ReplacedBy = {cs(docs['replaced_by'])},")
    if info[7]: out.append(pad + "    Tips = [" + ", ".join(cs(x) for x in info[7]) + "],")
    if docs.get("history"):
        out.append(pad + "    History =")
        out.append(pad + "    [")
        for v, change in docs["history"]: out.append(pad + f"        ({cs(v)}, {cs(change)}),")
        out.append(pad + "    ],")
    if info[8]:
        specs = [keyspec(s) for s in info[8]]
        if len(specs) == 1: out.append(pad + f"    KeySpecs = [{specs[0]}],")
        else:
            out.append(pad + "    KeySpecs =")
            out.append(pad + "    [")
            out += [pad + "        " + s + "," for s in specs]
            out.append(pad + "    ],")
    if docs.get("arguments"):
        out.append(pad + "    Arguments =")
        out.append(pad + "    [")
        out += [argument(x, indent + 8) for x in docs["arguments"]]
        out.append(pad + "    ],")
    out.append(pad + "});" if parent or not info[9] else pad + "};")
    text = "\n".join(out)
    if info[9]:
        var = name.replace("-", "_") + "Command"
        text = text.replace(pad + "t.Add(new()", pad + f"var {var} = new CommandDef", 1)
        subdocs = docs.get("subcommands", {})
        subdocs = pairs(subdocs) if isinstance(subdocs, list) else subdocs
        for sub in sorted(info[9], key=lambda s: s[0]):
            text += "\n\n" + command(sub, pairs(subdocs[sub[0]]), procs, var, indent)
        text += f"\n\n{pad}t.Add({var});"
    return text

def main():
    port, names = int(sys.argv[1]), sys.argv[2].split(",")
    procs = dict(p.split("=") for p in sys.argv[3].split(",")) if len(sys.argv) > 3 and sys.argv[3] else {}
    conn = connect(port)
    for n in names:
        info = call(conn, "COMMAND", "INFO", n)[0]
        docs = call(conn, "COMMAND", "DOCS", n)
        print(command(info, pairs(docs[1]), procs))
        print()

main()
