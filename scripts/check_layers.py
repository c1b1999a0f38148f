#!/usr/bin/env python3
"""Checks switchyard's source layout: folders depend only downwards, modules
never depend on each other in a loop.

Every folder of src/ has a layer (LAYERS below, lowest first). A file may
include headers of its own folder and of folders in lower layers only, so no
folder depends on one above it in the data flow (frontend -> admission ->
policy -> executor -> workload) and no two folders depend on each other.
Folders in the same layer must not include each other either. A module (a
header and the .cc beside it) must not reach itself through what it and the
modules it includes include: two modules that need each other are one
concept split in two, or a third concept waiting to be named.

    scripts/check_layers.py [SRC_DIR]     exit 0 when clean, 1 with a list of
                                          every offending #include otherwise

A new folder must be given a layer here (the check fails until it is): the
table is the architecture's one written statement of who may use whom
(docs/architecture.md explains it).
"""
import os
import re
import sys

# Lowest first. Each entry: (folder, what it is).
LAYERS = [
    [("core", "status, clock, requests, cost classes, durations, locking")],
    [("config", "TOML reading with file:line errors"),
     ("metrics", "histograms, OS figures of process trees"),
     ("trace", "the request trace: format, reader, recorder")],
    [("policy", "queue disciplines (pure data structures)"),
     ("model", "model repository, tensors, the v2 JSON"),
     ("data", "the loaders' data sets"),
     ("loadgen", "the load generator and its mixes")],
    [("workload", "what a request runs: sha256 chain, sqlite, sleep, model"),
     ("predict", "runtime predictors")],
    [("executor", "threads, processes, async; the work queue; the configuration codec")],
    [("pipeline", "the data-loading pipeline (switchyard load)"),
     ("control", "the adaptive controller and its bandits"),
     ("torch_backend", "the LibTorch module, dlopen()ed"),
     ("python_backend", "the embedded CPython module, dlopen()ed")],
    [("server", "HTTP frontend, admission, routes, live switch")],
    [("sim", "the trace and controller simulators")],
    [("results", "the results record study writes and report reads")],
    [("study", "study files and their runs"),
     ("report", "results files and the reports rendered from them")],
    [("cli", "the switchyard binary's subcommands")],
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    src = os.path.normpath(src)
    layer_of = {}
    for rank, folders in enumerate(LAYERS):
        for folder, _ in folders:
            layer_of[folder] = rank

    problems = []
    graph = {}  # module ("report/results") -> modules its .h or .cc includes
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            folder = rel.split(os.sep)[0]
            if folder == rel:  # a file directly in src/ (none today)
                continue
            if folder not in layer_of:
                problems.append(f"src/{rel}: folder '{folder}' has no layer in scripts/check_layers.py")
                continue
            included = []
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if not os.path.exists(os.path.join(src, target)):
                        continue  # a header beside a test, or generated
                    included.append(target)
                    other = target.split("/")[0]
                    if other == folder or other not in layer_of:
                        continue
                    if layer_of[other] >= layer_of[folder]:
                        relation = "the same layer as" if layer_of[other] == layer_of[folder] else "a layer above"
                        problems.append(f"src/{rel}:{number}: includes {target}: '{other}' is {relation} '{folder}'")
            module = rel.replace(os.sep, "/").rsplit(".", 1)[0]
            targets = graph.setdefault(module, set())
            targets.update(t.rsplit(".", 1)[0] for t in included if t.rsplit(".", 1)[0] != module)

    # Module loops: a depth-first search for a back edge.
    state = {}
    stack = []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == "open":
                loop = stack[stack.index(nxt):] + [nxt]
                problems.append("module loop: " + " -> ".join(loop))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)

    if problems:
        print("check_layers: the source layout breaks its layering (scripts/check_layers.py):")
        for p in problems:
            print("  " + p)
        return 1
    print(f"check_layers: {len(graph)} modules, {len(layer_of)} folders in {len(LAYERS)} layers: "
          "every include points down, no module loops")
    return 0


if __name__ == "__main__":
    sys.exit(main())
