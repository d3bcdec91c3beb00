"""`import cnn_course` and its NumPy-only modules start without TensorFlow; the others import it quietly."""

import ast
import importlib
import json
import os
import pathlib
import pkgutil
import re
import subprocess
import sys
import textwrap

import pytest

#: Modules that must import without TensorFlow or Keras: the lectures' maths and the data generator.
NUMPY_ONLY = ["convolution", "filters", "lecture_examples", "exercises", "explain", "shapes", "datasets",
              "settings", "_files", "_progress_lines", "tables", "notebook_files", "cli", "_validation", "checks",
              "grading", "assignment", "search"]


def _fresh_python(code, **env):
    full_env = {**os.environ, **env}
    full_env.pop("CNN_COURSE_TF_LOGS", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=full_env)


def test_package_and_numpy_only_modules_do_not_import_tensorflow():
    code = ("import sys\nimport cnn_course\n"
            f"for name in {NUMPY_ONLY!r}:\n    __import__('cnn_course.' + name)\n"
            "from cnn_course.explain import conv_params, dense_params\n"
            "assert conv_params(3, 3, 32) == 896 and dense_params(784, 10) == 7850\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
            "print('HEAVY', heavy)")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY []" in out.stdout, out.stdout


def test_import_sets_tensorflow_flags_without_overriding_the_users():
    code = "import os, cnn_course\nprint(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=clean)
    assert out.stdout.split() == ["1", "2"], out.stderr[-2000:]
    out = _fresh_python(code, TF_ENABLE_ONEDNN_OPTS="0")
    assert out.stdout.split()[0] == "0"


def test_a_keras_module_imports_tensorflow_without_its_start_up_lines():
    code = ("import sys\nfrom cnn_course import models\n"
            "assert 'tensorflow' not in sys.modules\n"
            "model = models.build_dense((4, 4, 1), 2)\n"
            "print('KERAS', 'keras' in sys.modules, model.count_params())")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "KERAS True" in out.stdout
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers"):
        assert noise not in out.stderr, out.stderr


def test_thread_limit_reaches_tensorflow_whoever_imports_it_first():
    # TensorFlow reads these variables when it starts its thread pools, also after `import tensorflow`.
    code = "import os, cnn_course\nprint(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])"
    out = _fresh_python(code, CNN_COURSE_THREADS="1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


def test_thread_limit_reaches_tensorflow():
    code = ("from cnn_course.settings import import_tensorflow_quietly\n"
            "tf = import_tensorflow_quietly()\n"
            "print(tf.config.threading.get_intra_op_parallelism_threads(),"
            " tf.config.threading.get_inter_op_parallelism_threads())")
    out = _fresh_python(code, CNN_COURSE_THREADS="1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_bad_thread_limit_is_named(bad):
    code = "from cnn_course.settings import import_tensorflow_quietly\nimport_tensorflow_quietly()"
    out = _fresh_python(code, CNN_COURSE_THREADS=bad)
    assert out.returncode != 0
    assert f"CNN_COURSE_THREADS={bad!r}" in out.stderr and "positive integer" in out.stderr


# --- what users import, and where from ---------------------------------------

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cnn_course"
#: The public top-level names of the package: its modules and subpackages without a leading underscore.
PUBLIC = sorted(info.name for info in pkgutil.iter_modules([str(PACKAGE)])
                if not info.name.startswith("_") and info.name not in ("notebooks",))


def _user_files():
    """The notebooks' and the assignment masters' sources: what students and teachers run."""
    return sorted(ROOT.glob("notebooks/*.py")) + sorted(ROOT.glob("assignments/*/*.py"))


def _names_used_in_code(source):
    """`(module, name)` pairs that Python code takes from cnn_course: its imports and `module.name` uses."""
    tree = ast.parse(source)
    aliases, used = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "cnn_course":
            for alias in node.names:
                used.add((node.module, alias.name))
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cnn_course":
                    used.add((alias.name, None))
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            target = aliases[node.value.id]
            if target.rpartition(".")[2] in PUBLIC or target == "cnn_course":
                used.add((target, node.attr))
    return used


def _names_used_in_readme(text):
    """The same pairs from the README: its Python code blocks, and `module.name` in its inline code."""
    used = set()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        used |= _names_used_in_code(textwrap.dedent(block))
    from cnn_course._aliases import MOVED

    for span in re.findall(r"`([^`\n]+)`", text):
        for module, name in re.findall(r"(?<![\w.])([a-z_]+)\.([A-Za-z_]\w*)", span):
            if (module in PUBLIC or module in MOVED) and name not in ("py", "json", "md"):  # not file names
                used.add((f"cnn_course.{module}", name))
    return used


def test_every_name_the_notebooks_masters_and_readme_use_imports_from_where_they_use_it():
    used = set()
    for path in _user_files():
        used |= {(module, name, path.name) for module, name in _names_used_in_code(path.read_text())}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used |= {(module, name, "README.md") for module, name in _names_used_in_readme(readme)}
    assert len({(m, n) for m, n, _ in used}) > 100, "the scan found too few names: is it still reading the files?"
    # A fresh process: nothing imported before, so a name that only resolves after another import fails here.
    # A use of an old module path fails too: the notebooks, masters and README must show today's names.
    code = ("import importlib, json, sys, warnings\n"
            "warnings.simplefilter('error', DeprecationWarning)\n"
            "missing = []\n"
            "for module, name, where in json.loads(sys.stdin.read()):\n"
            "    try:\n"
            "        value = importlib.import_module(module)\n"
            "        if name is not None and not hasattr(value, name):\n"
            "            importlib.import_module(module + '.' + name)\n"
            "    except Exception as exc:\n"
            "        missing.append(f'{where}: {module}.{name or \"\"}: {type(exc).__name__}: {exc}')\n"
            "print('MISSING', json.dumps(missing))")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(sorted(used, key=str)),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    missing = json.loads(out.stdout.split("MISSING ", 1)[1])
    assert missing == [], "\n".join(missing)


def test_every_old_module_path_still_imports_with_a_deprecation_warning():
    from cnn_course import _aliases

    code = ("import importlib, json, warnings\n"
            "from cnn_course import _aliases\n"
            "report = {}\n"
            "for old, (home, instead) in _aliases.MOVED.items():\n"
            "    with warnings.catch_warnings(record=True) as caught:\n"
            "        warnings.simplefilter('always')\n"
            "        module = importlib.import_module('cnn_course.' + old)\n"
            "    new = importlib.import_module(home)\n"
            "    public = [n for n in dir(new) if not n.startswith('_')]\n"
            "    report[old] = {\n"
            "        'warnings': [(w.category.__name__, str(w.message), w.filename) for w in caught\n"
            "                     if 'cnn_course.' + old in str(w.message)],\n"
            "        'same': all(getattr(module, n) is getattr(new, n) for n in public), 'names': len(public)}\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    from cnn_course import image_folders\n"
            "    from cnn_course.feature_cache import extract_features\n"
            "report['forms'] = [image_folders.ImageSet.__module__, extract_features.__module__]\n"
            "print('REPORT', json.dumps(report))")
    out = _fresh_python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.split("REPORT ", 1)[1])
    assert report.pop("forms") == ["cnn_course.datasets._folders", "cnn_course.transfer._features"]
    assert sorted(report) == sorted(_aliases.MOVED)
    for old, found in report.items():
        assert len(found["warnings"]) == 1, (old, found)
        category, message, filename = found["warnings"][0]
        assert category == "DeprecationWarning" and _aliases.REMOVAL in message, (old, message)
        assert filename == "<string>", f"the warning for {old} points at {filename}, not at the importing line"
        assert found["same"] and found["names"] > 0, old


# --- private stays private, and no cycles -------------------------------------


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _owner(module):
    """The package whose private file or name `module` is: `cnn_course.datasets` for `cnn_course.datasets._stream`."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return module


def _is_module(dotted):
    path = PACKAGE.parent / dotted.replace(".", "/")
    return path.is_dir() or path.with_suffix(".py").exists()


def _is_private(name):
    return name.startswith("_") and not name.startswith("__")


def _may_reach(here, module):
    """Whether module `here` may use `module`'s private files: it is inside the package that owns them."""
    owner = _owner(module)
    return here in (module, owner) or here.startswith(owner + ".")


def _import_crossings(here, node):
    """What one import statement reaches that `here` may not; and the names it binds to modules."""
    found, bound = [], {}
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnn_course"):
        if _owner(node.module) != node.module and not _may_reach(here, node.module):
            found.append(f"imports from {node.module}, private to {_owner(node.module)}")
        for alias in node.names:
            target = f"{node.module}.{alias.name}"
            if _is_private(alias.name) and not _is_module(target):
                found.append(f"imports the private name {target}")
            elif _is_private(alias.name) and not _may_reach(here, target):
                found.append(f"imports {target}, private to {node.module}")
            bound[alias.asname or alias.name] = target
    elif isinstance(node, ast.Import):
        for alias in (a for a in node.names if a.name.startswith("cnn_course")):
            if _owner(alias.name) != alias.name and not _may_reach(here, alias.name):
                found.append(f"imports {alias.name}")
            bound[alias.asname or alias.name] = alias.name
    return found, bound


def _private_crossings(path, text=None):
    """The lines of `path` that reach into another module's private name, or a package's private file from outside."""
    here = _module_name(path) if path.is_relative_to(PACKAGE) else "(outside the package)"
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    found, modules = [], {}
    for node in ast.walk(tree):
        crossings, bound = _import_crossings(here, node)
        found += [f"{path.name}:{node.lineno}: {crossing}" for crossing in crossings]
        modules.update(bound)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and _is_private(node.attr)):
            target = f"{modules[node.value.id]}.{node.attr}"
            if not _is_module(target) or not _may_reach(here, target):
                found.append(f"{path.name}:{node.lineno}: uses {target}")
    return found


def _project_files():
    """Every Python file of the project but the tests (which may test a private helper directly)."""
    files = [p for p in PACKAGE.rglob("*.py") if "notebooks" not in p.relative_to(PACKAGE).parts]
    # Not tools/: the maintainers' scripts that study the grader's internals (tools/study_hidden_draws.py).
    for folder in ("benchmarks", "notebooks", "assignments"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def test_no_module_reaches_into_another_modules_private_names():
    crossings = [line for path in _project_files() for line in _private_crossings(path)]
    assert crossings == [], "\n".join(crossings)


def test_the_private_name_check_sees_a_crossing():
    # The check above, on a file that crosses in each of the ways it looks for.
    sample = PACKAGE / "models" / "_probe_for_the_test.py"
    text = ("from cnn_course.training import _loss_name\n"
            "from cnn_course.datasets import _folders\n"
            "from cnn_course.models import _builder\n"
            "from cnn_course import settings\n"
            "settings._thread_limit()\n")
    crossings = _private_crossings(sample, text)
    assert [line.split(": ", 1)[1] for line in crossings] == [
        "imports the private name cnn_course.training._loss_name",
        "imports cnn_course.datasets._folders, private to cnn_course.datasets",
        "uses cnn_course.settings._thread_limit"]


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        if "notebooks" in path.relative_to(PACKAGE).parts:
            continue
        here = _module_name(path)
        edges = graph.setdefault(here, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnn_course"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    edges.add(full if _is_module(full) else node.module)
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name.startswith("cnn_course")}
        # A module's packages are imported before it (Python does that): not an edge of the graph.
        graph[here] = {edge for edge in edges if edge != here and not here.startswith(edge + ".")}
    assert len(graph) > 60, sorted(graph)
    cycles = _cycles(graph)
    assert cycles == [], "modules that import each other (directly or not):\n" + "\n".join(", ".join(c) for c in cycles)


def test_every_record_class_the_grading_wire_accepts_is_named_where_it_lives():
    # The wire names a record (an ImageSet, a TrainableSummary, ...) by `module:class`; a class that moved
    # without its entry here would no longer reach the judge, and the check that needs it would fail.
    from cnn_course.grading._keras_wire import RECORD_CLASSES

    for entry in RECORD_CLASSES:
        module, name = entry.split(":")
        cls = getattr(importlib.import_module(module), name)
        assert f"{cls.__module__}:{cls.__qualname__}" == entry
