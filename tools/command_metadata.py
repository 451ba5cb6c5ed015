#!/usr/bin/env python3
"""Regenerates the command metadata data files (src/Vermilion/Commands/Metadata/*.json) from a
running redis-server (the oracle, 7.0.15), so our COMMAND INFO / DOCS match Redis's exactly and
moving to a newer Redis is a re-run, not a hand merge.

One file per command family (string.json holds StringCommands' commands). A file's members are
the commands already in it, subcommands included ("client|kill"): Vermilion implements only some
of a container's subcommands, so each is listed on its own. Each entry merges the command's
COMMAND INFO and COMMAND DOCS replies, with Redis's field names (CommandMetadata.cs reads them).

manual.json holds what the oracle does not know (CLIENT SETINFO and NO-TOUCH are Redis 7.2's):
it is maintained by hand and this tool never reads or writes it.

usage:
  tools/command_metadata.py --port 6379                          # regenerate every family file
  tools/command_metadata.py --port 6379 --add string getdel      # add GETDEL to string.json
  tools/command_metadata.py --port 6379 --add key 'object|freq'   # a subcommand of OBJECT
"""
import argparse, json, os, socket, sys

METADATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "Vermilion", "Commands", "Metadata")
HAND_MAINTAINED = "manual.json"


class Connection:
    """A RESP3 connection (HELLO 3), so maps and sets arrive as such."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.file = self.sock.makefile("rb")
        self.call("HELLO", "3")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.file.readline().rstrip(b"\r\n")
        t, rest = line[:1], line[1:].decode()
        if t == b"+": return rest
        if t == b"-": raise RuntimeError(rest)
        if t == b":": return int(rest)
        if t == b"_": return None
        if t in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if t in (b"*", b"~"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"%":
            return {self.read(): self.read() for _ in range(int(rest))}
        raise ValueError(line)


def describe(conn, name):
    """One data file entry: COMMAND INFO's fields, then COMMAND DOCS's, without the subcommands
    (each subcommand is an entry of its own)."""
    info = conn.call("COMMAND", "INFO", name)[0]
    if info is None:
        sys.exit(f"the server does not know '{name}'; commands it lacks belong in {HAND_MAINTAINED}")
    docs = conn.call("COMMAND", "DOCS", name)[name]
    _, arity, flags, first, last, step, categories, tips, key_specs, _ = info
    entry = {"arity": arity, "flags": flags, "acl_categories": categories}
    if (first, last, step) != (0, 0, 0):
        entry.update(first_key=first, last_key=last, key_step=step)
    if tips: entry["tips"] = tips
    if key_specs: entry["key_specs"] = key_specs
    for field, value in docs.items():
        if field != "subcommands": entry[field] = value
    return entry


def render(value, indent=0, width=120):
    """JSON with a short value on one line and a long one broken over several, two spaces deep."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {render(v, indent + 2, width)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + render(v, indent + 2, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write_family(conn, path, names):
    entries = {name: describe(conn, name) for name in names}
    lines = [f"  {json.dumps(name)}: {render(entry, 2)}" for name, entry in entries.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def family_files(directory):
    """Each family file's path and the commands in it, in file order (not the hand-maintained one)."""
    files = sorted(f for f in os.listdir(directory) if f.endswith(".json") and f != HAND_MAINTAINED)
    return {os.path.join(directory, f): list(json.load(open(os.path.join(directory, f), encoding="utf-8"))) for f in files}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--dir", default=METADATA_DIR, help="where the data files are")
    p.add_argument("--add", nargs="+", metavar=("FAMILY", "COMMAND"),
                   help="add commands (or container|subcommand) to FAMILY.json, creating it if new")
    a = p.parse_args()
    conn = Connection(a.host, a.port)
    if a.add:
        family, new = a.add[0], [n.lower() for n in a.add[1:]]
        if family + ".json" == HAND_MAINTAINED: sys.exit(f"{HAND_MAINTAINED} is maintained by hand")
        path = os.path.join(a.dir, family + ".json")
        names = list(json.load(open(path, encoding="utf-8"))) if os.path.exists(path) else []
        for file, others in family_files(a.dir).items():
            if file != path:
                for n in set(new) & set(others): sys.exit(f"'{n}' is already in {os.path.basename(file)}")
        write_family(conn, path, names + [n for n in new if n not in names])
        return
    for path, names in family_files(a.dir).items():
        write_family(conn, path, names)


main()
